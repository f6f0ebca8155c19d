#!/usr/bin/env bash
# End-to-end run of metasrv and its operator on this machine, driven only by kubectl:
# a mock Kubernetes API server (fabric8 CRUD mode, with discovery) on a local port, the operator
# as a `metasrv operator` process against it, a pod runner that runs each pod of the workload as a
# local `metasrv start` process on its own loopback address 127.0.0.N, etcd for the etcd sample,
# and for the PostgreSQL sample a database and a user of this run's own on the PostgreSQL server
# at 127.0.0.1:5432 (dropped at the end).
#
#   e2e/run.sh            # builds what is missing (target/metasrv.jar, the e2e helpers), then runs
#   E2E_KEEP=1 e2e/run.sh # keeps the work directory (logs of every process) after a pass
#
# Each step prints its duration; the first failing step stops the run with its reason, and every
# process started here is stopped at the end, whatever happened.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d /tmp/metasrv-e2e.XXXXXX)
export KUBECONFIG=$WORK/kubeconfig
NS=default
CLUSTER=metasrv-etcd
PIDS=()
STEP=""
STEP_START=0
RUN_START=$(date +%s%N)

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
step() { STEP=$1; STEP_START=$(date +%s%N); printf '%-68s' "== $1"; }
ok() { printf ' ok   %6d ms%s\n' "$(ms "$STEP_START")" "${1:+  ($1)}"; }
fail() {
  printf ' FAIL %6d ms\n' "$(ms "$STEP_START")"
  echo "e2e FAILED at step \"$STEP\": $*" >&2
  exit 1
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  echo "== stopping all processes"
  # Last started first, one at a time: the pod runner (on SIGTERM it stops the metasrv processes
  # it runs, which release their Leases while the API server still answers), the operator, the
  # API server, etcd. A process a failed step left frozen (SIGSTOP) is woken first.
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; done
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    pid=${PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  done
  # Any pod process left behind (the runner killed hard, say).
  for f in "$WORK"/pods/*/*/pid; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  if [ -n "${PG_DB:-}" ]; then
    pg_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
    pg_admin "DROP ROLE IF EXISTS $PG_ROLE" >/dev/null 2>&1
  fi
  if [ $code -eq 0 ] && [ -z "${E2E_KEEP:-}" ]; then
    rm -rf "$WORK"
  else
    echo "logs kept in $WORK (api.log, operator.log, pod-runner.log, etcd.log, pods/<ns>/<pod>/log)"
  fi
  echo "== total $(( $(ms "$RUN_START") / 1000 )) s: $([ $code -eq 0 ] && echo PASSED || echo FAILED)"
  exit $code
}
trap cleanup EXIT
trap 'echo; echo "e2e interrupted during step \"$STEP\"" >&2; exit 130' INT TERM

# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.5 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && fail "timed out after ${seconds}s waiting for $what"
    sleep 0.5
  done
}

# printer_columns CRD [wide]: "Name<TAB>type<TAB>jsonPath" of each printer column of the CRD's
# first version, in the CRD's order, that `kubectl get` shows (priority 0; all of them with wide);
# the API server's default Age when the CRD declares none.
printer_columns() {
  local cols
  cols=$(kubectl get crd "$1" -o jsonpath='{range .spec.versions[0].additionalPrinterColumns[*]}{.name}{"\t"}{.type}{"\t"}{.priority}{"\t"}{.jsonPath}{"\n"}{end}' 2>/dev/null) \
    || return 1
  [ -n "$cols" ] || cols=$'Age\tdate\t0\t.metadata.creationTimestamp'
  awk -F'\t' -v wide="${2:-}" 'NF && (wide != "" || $3 == "" || $3 == 0) { print $1 "\t" $2 "\t" $4 }' <<<"$cols"
}

# table_cells NAME < TABLE: "HEADER=cell" for each column of kubectl's table, of the row NAME,
# cut at the header's column positions (an empty cell leaves no word to split on). The first
# line is "HEADERS=A|B|...".
table_cells() {
  python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
cols = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", lines[0])] if lines else []
print("HEADERS=" + "|".join(n for _, n in cols))
for line in lines[1:]:
    cells = [line[s:(cols[i + 1][0] if i + 1 < len(cols) else None)].strip() for i, (s, _) in enumerate(cols)]
    if sys.argv[1] in cells[:2]:  # NAME, or NAMESPACE NAME
        for (_, n), c in zip(cols, cells):
            print(n + "=" + c)
        break
' "$1"
}

# check_table RESOURCE CRD NAME [wide]: `kubectl get RESOURCE` (with -o wide) into $WORK/table;
# its header is NAME then the CRD's printer columns in the CRD's order, and each cell of row NAME
# is what `kubectl get -o jsonpath` finds at the column's jsonPath (an age for a date column).
# Prints the reason when not, and the "HEADER=cell" lines of the row when so.
check_table() {
  local resource=$1 crd=$2 name=$3 wide=${4:-} table cols expected cells col type path got want
  table=$(kubectl get "$resource" ${wide:+-o wide} 2>&1) || { echo "kubectl get $resource: $table"; return 1; }
  printf '%s\n' "$table" >"$WORK/table"
  cols=$(printer_columns "$crd" "$wide") || { echo "no CRD $crd"; return 1; }
  expected="NAME$(awk -F'\t' '{ printf "|%s", toupper($1) }' <<<"$cols")"
  cells=$(table_cells "$name" <<<"$table")
  [ "$(sed -n 's/^HEADERS=//p' <<<"$cells")" = "$expected" ] \
    || { echo "header $(sed -n 's/^HEADERS=//p' <<<"$cells"), the CRD's columns: $expected"; return 1; }
  [ "$(sed -n 's/^NAME=//p' <<<"$cells")" = "$name" ] || { echo "no row $name in: $table"; return 1; }
  while IFS=$'\t' read -r col type path; do
    got=$(sed -n "s/^$(tr '[:lower:]' '[:upper:]' <<<"$col")=//p" <<<"$cells")
    if [ "$type" = date ]; then
      [[ "$got" =~ ^[0-9]+[smhdy] ]] || { echo "column $col ($path, date): \"$got\" is no age"; return 1; }
      continue
    fi
    want=$(kubectl get "${resource%%/*}" "$name" -o jsonpath="{$path}" 2>&1) || { echo "jsonpath $path: $want"; return 1; }
    [ "$got" = "$want" ] || { echo "column $col ($path): \"$got\" in the table, \"$want\" by jsonpath"; return 1; }
  done <<<"$cols"
  sed 1d <<<"$cells"
}

# table_ok RESOURCE CRD NAME [wide]: check_table, three tries a second apart (status may move
# between the table and the jsonpath reads); the row's cells in $CELLS, or the step fails.
table_ok() {
  local why
  for _ in 1 2 3; do
    if CELLS=$(check_table "$@"); then return 0; fi
    why=$CELLS
    sleep 1
  done
  fail "kubectl get $1: $why"
}
cell() { sed -n "s/^$1=//p" <<<"$CELLS"; }
# expect_cell COLUMN VALUE: the row's cell in COLUMN is VALUE, or the step fails.
expect_cell() { [ "$(cell "$1")" = "$2" ] || fail "$1 $(cell "$1"), expected $2"; }
show_table() { sed 's/^/      /' "$WORK/table"; }

# pg_admin SQL: runs SQL as the superuser on the local PostgreSQL (trust on 127.0.0.1), in
# database ${2:-test}; prints the rows unaligned, without headers.
pg_admin() { psql -h 127.0.0.1 -p 5432 -U postgres -d "${2:-test}" -v ON_ERROR_STOP=1 -qAtc "$1"; }

# matches PATTERN: whether stdin has a line matching PATTERN. It reads all of stdin first: a bare
# `cmd | grep -q` under pipefail fails when grep exits at the first match while cmd still writes
# (SIGPIPE), which made `kubectl api-resources | grep -q` fail at random.
matches() { local input; input=$(cat); grep -q -- "$1" <<<"$input"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
jp() { kubectl get "$@" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
step "build: target/metasrv.jar and the e2e helpers (e2e/java)"
if [ ! -f target/metasrv.jar ] || [ ! -f target/test-classes/io/metasrv/e2e/PodRunner.class ]; then
  mvn -B -q -o package -DskipTests >"$WORK/build.log" 2>&1 \
    || mvn -B -q package -DskipTests >"$WORK/build.log" 2>&1 || fail "mvn package: see $WORK/build.log"
fi
if [ ! -s target/e2e.classpath ]; then
  # A pinned plugin version: the default (2.8) needs artifacts that a local repository filled by
  # the build alone does not have. Online only when offline cannot.
  DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath
  { mvn -B -q -o $DEP_PLUGIN -Dmdep.includeScope=test -Dmdep.outputFile=target/e2e.classpath \
      || mvn -B -q $DEP_PLUGIN -Dmdep.includeScope=test -Dmdep.outputFile=target/e2e.classpath; } \
    >>"$WORK/build.log" 2>&1 || fail "mvn dependency:build-classpath: see $WORK/build.log"
fi
CP="$ROOT/target/test-classes:$ROOT/target/classes:$(cat target/e2e.classpath)"
command -v kubectl >/dev/null || fail "kubectl is not on PATH"
command -v etcd >/dev/null || fail "etcd is not on PATH (apt-get install -y etcd-server)"
ok

step "loopback aliases 127.0.0.2+ reach this host"
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.9",0)); s.listen(); socket.create_connection(s.getsockname(), 1)' \
  || fail "cannot bind and connect on 127.0.0.9: add loopback aliases (ip addr add 127.0.0.N/8 dev lo)"
ok

step "etcd on a free local port"
ETCD_PORT=$(free_port); ETCD_PEER=$(free_port)
etcd --name e2e --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER" >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
PIDS+=($ETCD_PID)
wait_for 20 "etcd /health" curl -sf "http://127.0.0.1:$ETCD_PORT/health"
ok "127.0.0.1:$ETCD_PORT"

step "mock API server (fabric8 CRUD + discovery), kubeconfig in temp dir"
java -cp "$CP" io.metasrv.e2e.MockApi "$WORK" >"$WORK/api.log" 2>&1 &
PIDS+=($!)
wait_for 30 "the mock API server's kubeconfig" test -s "$WORK/api-port"
wait_for 10 "kubectl version" kubectl version
ok "$(grep server: "$KUBECONFIG" | awk '{print $2}')"

step "kubectl apply -f manifests/install.yaml (CRDs, RBAC, operator Deployment)"
out=$(kubectl apply --validate=false -f manifests/install.yaml 2>&1) || fail "kubectl apply: $out"
jp crd metasrvclusters.metasrv.io -o name >/dev/null || fail "CRD metasrvclusters.metasrv.io missing"
jp crd maintenancemodes.metasrv.io -o name >/dev/null || fail "CRD maintenancemodes.metasrv.io missing"
kubectl api-resources 2>/dev/null | matches '^metasrvclusters *msc' || fail "msc not in discovery"
ok

step "operator: metasrv operator (separate process)"
OP_HEALTH=127.0.0.1:$(free_port)
java -jar target/metasrv.jar operator --server-side-apply=false --health-addr "$OP_HEALTH" \
  --leader-election-namespace metasrv-system --observe-interval-seconds 2 >"$WORK/operator.log" 2>&1 &
PIDS+=($!)
wait_for 60 "operator /readyz on $OP_HEALTH" curl -sf "http://$OP_HEALTH/readyz"
ok "health on $OP_HEALTH"

step "pod runner (kubelet + StatefulSet controller + GC for the mock)"
java -cp "$CP" io.metasrv.e2e.PodRunner "$WORK" target/metasrv.jar >"$WORK/pod-runner.log" 2>&1 &
PIDS+=($!)
wait_for 30 "pod runner start" grep -q 'pod runner against' "$WORK/pod-runner.log"
ok

# The sample with its etcd endpoints pointed at the local etcd.
SAMPLE=$WORK/etcd-lease-cluster.yaml
awk -v ep="127.0.0.1:$ETCD_PORT" '
  /^ *- etcd-[0-9]\.etcd:2379/ { if (!done) { sub(/etcd-[0-9]\.etcd:2379/, ep); print; done=1 }; next }
  { print }' manifests/samples/etcd-lease-cluster.yaml >"$SAMPLE"

step "kubectl apply sample etcd-lease-cluster.yaml (etcd -> local)"
out=$(kubectl apply --validate=false -f "$SAMPLE" 2>&1) || fail "kubectl apply: $out"
echo "$out" | matches "metasrvcluster.metasrv.io/$CLUSTER created" || fail "expected created, got: $out"
GEN1=$(jp msc $CLUSTER -o jsonpath='{.metadata.generation}')
ok "generation $GEN1"

step "GitOps: applying the same sample again changes nothing"
out=$(kubectl apply --validate=false -f "$SAMPLE" 2>&1) || fail "kubectl apply: $out"
echo "$out" | matches "metasrvcluster.metasrv.io/$CLUSTER unchanged" || fail "expected unchanged, got: $out"
GEN2=$(jp msc $CLUSTER -o jsonpath='{.metadata.generation}')
[ "$GEN1" = "$GEN2" ] || fail "generation moved from $GEN1 to $GEN2"
ok "unchanged, generation $GEN2"

step "kubectl wait --for=condition=Ready metasrvcluster/$CLUSTER"
out=$(kubectl wait --for=condition=Ready "metasrvcluster/$CLUSTER" --timeout=180s 2>&1) \
  || fail "$out; status: $(jp msc $CLUSTER -o jsonpath='{.status}')"
ok "$out"

ready_replicas() { [ "$(jp msc $CLUSTER -o jsonpath='{.status.readyReplicas}')" = "$1" ]; }
step "3 pods ready, StatefulSet settled"
wait_for 60 "status.readyReplicas 3" ready_replicas 3
[ "$(jp pods -l app.kubernetes.io/instance=$CLUSTER -o name | wc -l)" -eq 3 ] \
  || [ "$(jp pods -o name | grep -c "pod/$CLUSTER-")" -eq 3 ] || fail "expected 3 pods: $(jp pods -o name)"
ok "$(jp pods -o jsonpath='{range .items[*]}{.metadata.name}={.status.podIP} {end}')"

step "leader from kubectl get -o jsonpath"
leader_pod() { jp msc $CLUSTER -o jsonpath='{.status.leader.pod}'; }
has_leader() { [ -n "$(leader_pod)" ]; }
wait_for 60 "status.leader.pod" has_leader
LEADER=$(leader_pod)
LEADER_ADDR=$(jp msc $CLUSTER -o jsonpath='{.status.leader.address}')
LEADER_IP=$(jp pod "$LEADER" -o jsonpath='{.status.podIP}')
curl -sf "http://$LEADER_IP:4000/health" | matches '"status" *: *"leader"' \
  || fail "$LEADER ($LEADER_IP) does not answer leader on /health"
ok "$LEADER at $LEADER_ADDR"

step "kubectl get metasrvclusters: the CRD's printer columns, in its order"
table_ok metasrvclusters metasrvclusters.metasrv.io "$CLUSTER"
expect_cell READY True
expect_cell REPLICAS 3
expect_cell LEADER "$LEADER"
[ -n "$(cell BACKEND)" ] || fail "no BACKEND"
expect_cell MAINTENANCE false
ok "backend $(cell BACKEND), leader $(cell LEADER)"
show_table

step "kubectl get msc -o wide, and one by name: the same columns"
table_ok msc metasrvclusters.metasrv.io "$CLUSTER" wide
WIDE=$(cat "$WORK/table")
table_ok "msc/$CLUSTER" metasrvclusters.metasrv.io "$CLUSTER"
ok
sed 's/^/      /' <<<"$WIDE"

step "kill -9 the leader's process; a new leader in status"
PID=$(cat "$WORK/pods/$NS/$LEADER/pid") || fail "no pid file for $LEADER"
kill -KILL "$PID" || fail "kill $PID"
new_leader() { local l; l=$(leader_pod); [ -n "$l" ] && [ "$l" != "$LEADER" ]; }
wait_for 90 "a leader other than $LEADER in status" new_leader
OLD_LEADER=$LEADER
LEADER=$(leader_pod)
LEADER_IP=$(jp pod "$LEADER" -o jsonpath='{.status.podIP}')
ok "$OLD_LEADER -> $LEADER"

step "the killed pod's process restarted and is ready again"
restarted_ready() {
  [ "$(jp pod "$OLD_LEADER" -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ] \
    && [ "$(jp pod "$OLD_LEADER" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] \
    && [ "$(cat "$WORK/pods/$NS/$OLD_LEADER/pid")" != "$PID" ] \
    && curl -sf "http://$(jp pod "$OLD_LEADER" -o jsonpath='{.status.podIP}'):4000/health"
}
wait_for 90 "$OLD_LEADER restarted (restartCount >= 1, a new pid, Ready, /health 200)" restarted_ready
wait_for 60 "status.readyReplicas 3 after the restart" ready_replicas 3
ok "restartCount $(jp pod "$OLD_LEADER" -o jsonpath='{.status.containerStatuses[0].restartCount}'), $(curl -sf "http://$(jp pod "$OLD_LEADER" -o jsonpath='{.status.podIP}'):4000/health")"

maintenance_is() { curl -sf "http://$LEADER_IP:4000/admin/maintenance" | matches "\"enabled\" *: *$1"; }
step "apply MaintenanceMode: enabled: true on the leader's /admin/maintenance"
out=$(kubectl apply --validate=false -f manifests/samples/maintenance-mode.yaml 2>&1) || fail "kubectl apply: $out"
wait_for 60 "enabled: true on http://$LEADER_IP:4000/admin/maintenance" maintenance_is true
ok "$(curl -sf "http://$LEADER_IP:4000/admin/maintenance")"

applied() { [ "$(jp mmode metasrv-etcd-upgrade -o jsonpath='{.status.conditions[?(@.type=="Applied")].status}')" = True ]; }
step "kubectl get maintenancemodes: the CRD's printer columns, Applied True"
wait_for 60 "MaintenanceMode metasrv-etcd-upgrade Applied True" applied
table_ok mmode maintenancemodes.metasrv.io metasrv-etcd-upgrade
expect_cell CLUSTER "$CLUSTER"
expect_cell APPLIED True
ok
show_table

in_maintenance() { [ "$(jp msc $CLUSTER -o jsonpath='{.status.maintenance}')" = true ]; }
step "kubectl get msc: MAINTENANCE true"
wait_for 60 "status.maintenance true" in_maintenance
table_ok msc metasrvclusters.metasrv.io "$CLUSTER"
expect_cell MAINTENANCE true
ok
show_table

step "delete MaintenanceMode: maintenance off on the leader"
out=$(kubectl delete -f manifests/samples/maintenance-mode.yaml --wait=true --timeout=60s 2>&1) || fail "kubectl delete: $out"
wait_for 60 "enabled: false on http://$LEADER_IP:4000/admin/maintenance" maintenance_is false
ok "$(curl -sf "http://$LEADER_IP:4000/admin/maintenance")"

# condition_is CLUSTER TYPE STATUS: the cluster's condition TYPE has STATUS.
condition_is() { [ "$(jp msc "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}")" = "$3" ]; }
pod_pids() { for p in "$WORK"/pods/$NS/$CLUSTER-*/pid; do printf '%s ' "$(cat "$p")"; done; }
PIDS_BEFORE=$(pod_pids)
step "kubectl patch a misspelt option: Stalled names it, no pod touched"
out=$(kubectl patch "msc/$CLUSTER" --type merge \
  -p '{"spec":{"options":{"overrides":{"procedure.max_retry_tims":"5"}}}}' 2>&1) || fail "kubectl patch: $out"
wait_for 60 "condition Stalled True" condition_is $CLUSTER Stalled True
STALLED=$(jp msc $CLUSTER -o jsonpath='{.status.conditions[?(@.type=="Stalled")].message}')
grep -q 'spec.options.overrides\[procedure.max_retry_tims\]' <<<"$STALLED" \
  || fail "the Stalled message does not name the field: $STALLED"
sleep 3
[ "$(pod_pids)" = "$PIDS_BEFORE" ] || fail "pods restarted for an invalid spec: $PIDS_BEFORE -> $(pod_pids)"
ok "$STALLED"

# Every pod's process is new and its mounted config carries the option.
rolled() {
  local pod
  for pod in $(jp pods -o name | sed -n "s|^pod/\($CLUSTER-[0-9]*\)$|\1|p"); do
    grep -qw "$(cat "$WORK/pods/$NS/$pod/pid")" <<<"$PIDS_BEFORE" && return 1
    grep -qs '^max_retry_times = 5$' "$WORK"/pods/$NS/$pod/volumes/*/* || return 1
  done
}
settled() {
  [ "$(jp msc $CLUSTER -o jsonpath='{.status.observedGeneration}')" = "$(jp msc $CLUSTER -o jsonpath='{.metadata.generation}')" ] \
    && condition_is $CLUSTER Ready True && condition_is $CLUSTER Reconciling False \
    && ready_replicas 3 && has_leader
}
# leader_elections: how many times a pod of the cluster became leader, from the pods' own logs
# (a pod's log survives its restarts and replacements), so that no change between two looks at
# the status is missed.
leader_elections() { cat "$WORK"/pods/$NS/$CLUSTER-*/log 2>/dev/null | grep -c 'Metasrv: leader elected:'; }
step "fix the option: Stalled clears, the pods roll, leadership moves once"
ELECTIONS_BEFORE=$(leader_elections)
LEADER_BEFORE=$(leader_pod)
# A JSON patch: the mock's merge patch does not drop a key set to null, as a real API server does.
out=$(kubectl patch "msc/$CLUSTER" --type json \
  -p '[{"op":"replace","path":"/spec/options/overrides","value":{"procedure.max_retry_times":"5"}}]' 2>&1) \
  || fail "kubectl patch: $out"
wait_for 60 "condition Stalled False" condition_is $CLUSTER Stalled False
rolling_out() { jp msc $CLUSTER -o jsonpath='{.status.conditions[?(@.type=="Reconciling")].message}' | matches '^rolling out revision'; }
wait_for 60 "Reconciling: rolling out revision ..." rolling_out
ROLLING=$(jp msc $CLUSTER -o jsonpath='{.status.conditions[?(@.type=="Reconciling")].message}')
wait_for 240 "every pod restarted with max_retry_times = 5" rolled
wait_for 120 "Ready, not Reconciling, observedGeneration = generation, 3 ready, a leader" settled
ELECTIONS=$(( $(leader_elections) - ELECTIONS_BEFORE ))
[ "$ELECTIONS" -eq 1 ] || fail "$ELECTIONS leader changes during the rollout of 3 pods, expected exactly 1: $(grep -h 'Metasrv: leader elected:' "$WORK"/pods/$NS/$CLUSTER-*/log | tail -n "$(( ELECTIONS > 0 ? ELECTIONS : 1 ))")"
[ "$(leader_pod)" != "$LEADER_BEFORE" ] || fail "the leader $LEADER_BEFORE leads again: its pod was not replaced last"
ok "1 leader change, $LEADER_BEFORE -> $(leader_pod); pids $PIDS_BEFORE-> $(pod_pids)"
echo "      $ROLLING"
jp events -o jsonpath='{range .items[?(@.reason=="ReplacingPod")]}{.lastTimestamp} {.message}{"\n"}{end}' | sort | sed 's/^/      /'

restarts() { jp pod "$1" -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
pod_not_ready() { [ "$(jp pod "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = False ]; }
restarted_since() { [ "$(restarts "$1")" -gt "$2" ]; }
step "etcd and one follower's JVM frozen: liveness restarts that JVM only"
WEDGED=$(jp pods -o name | sed -n "s|^pod/\($CLUSTER-[0-9]*\)$|\1|p" | grep -vx "$(leader_pod)" | head -1)
OTHERS=$(jp pods -o name | sed -n "s|^pod/\($CLUSTER-[0-9]*\)$|\1|p" | grep -vx "$WEDGED")
declare -A RESTARTS
for pod in $WEDGED $OTHERS; do RESTARTS[$pod]=$(restarts "$pod"); done
kill -STOP "$ETCD_PID" || fail "cannot freeze etcd"
kill -STOP "$(cat "$WORK/pods/$NS/$WEDGED/pid")" || fail "cannot freeze $WEDGED"
for pod in $OTHERS; do
  wait_for 60 "$pod NotReady (its store does not answer)" pod_not_ready "$pod"
done
# Six failed probes ten seconds apart, after which the others have lived as long without a store.
wait_for 150 "$WEDGED restarted by its liveness probe" restarted_since "$WEDGED" "${RESTARTS[$WEDGED]}"
for pod in $OTHERS; do
  [ "$(restarts "$pod")" = "${RESTARTS[$pod]}" ] \
    || fail "$pod restarted without its store: restartCount ${RESTARTS[$pod]} -> $(restarts "$pod")"
done
kill -CONT "$ETCD_PID"
wait_for 120 "Ready again, 3 ready, a leader" settled
ok "$WEDGED restarted; $(echo $OTHERS) not restarted while their store was frozen"

step "kubectl scale --replicas=5"
out=$(kubectl scale "metasrvcluster/$CLUSTER" --replicas=5 2>&1) || fail "kubectl scale: $out"
wait_for 120 "status.readyReplicas 5" ready_replicas 5
out=$(kubectl wait --for=condition=Ready "metasrvcluster/$CLUSTER" --timeout=60s 2>&1) || fail "$out"
ok "$(jp pods -o name | grep -c "pod/$CLUSTER-") pods"

pod_count() { [ "$(jp pods -o name | grep -c "pod/$CLUSTER-")" -eq "$1" ]; }
step "kubectl scale --replicas=3"
out=$(kubectl scale "metasrvcluster/$CLUSTER" --replicas=3 2>&1) || fail "kubectl scale: $out"
wait_for 120 "3 pods" pod_count 3
wait_for 60 "status.readyReplicas 3" ready_replicas 3
has_leader || fail "no leader after scaling down"
ok "leader $(leader_pod)"

no_pods() { ! jp pods -o name | matches "pod/$CLUSTER-"; }
no_sts() { ! jp sts "$CLUSTER" -o name | matches .; }
no_processes() { ! ls "$WORK"/pods/$NS/$CLUSTER-*/pid >/dev/null 2>&1; }
step "kubectl delete metasrvcluster: pods and processes gone"
out=$(kubectl delete "metasrvcluster/$CLUSTER" --timeout=60s 2>&1) || fail "kubectl delete: $out"
wait_for 60 "the StatefulSet gone" no_sts
wait_for 60 "the pods gone" no_pods
wait_for 60 "the pod processes stopped" no_processes
ok

DEV=metasrv-dev
step "kubectl apply sample memory-cluster.yaml; kubectl wait Ready"
out=$(kubectl apply --validate=false -f manifests/samples/memory-cluster.yaml 2>&1) || fail "kubectl apply: $out"
out=$(kubectl wait --for=condition=Ready "metasrvcluster/$DEV" --timeout=120s 2>&1) \
  || fail "$out; status: $(jp msc $DEV -o jsonpath='{.status}')"
DEV_IP=$(jp pod "$DEV-0" -o jsonpath='{.status.podIP}')
curl -sf "http://$DEV_IP:4000/health" | matches '"status" *: *"leader"' || fail "$DEV-0 does not lead"
ok "$(jp msc $DEV -o jsonpath='{.status.leader.address}')"

step "kubectl get msc $DEV: BACKEND memory, one replica, LEADER $DEV-0"
table_ok msc metasrvclusters.metasrv.io "$DEV"
expect_cell BACKEND memory
expect_cell REPLICAS 1
expect_cell LEADER "$DEV-0"
ok
show_table

step "kubectl scale $DEV to 2: Stalled names spec.replicas, one pod stays"
out=$(kubectl scale "metasrvcluster/$DEV" --replicas=2 2>&1) || fail "kubectl scale: $out"
wait_for 60 "condition Stalled True" condition_is $DEV Stalled True
STALLED=$(jp msc $DEV -o jsonpath='{.status.conditions[?(@.type=="Stalled")].message}')
grep -q 'spec.replicas' <<<"$STALLED" || fail "the Stalled message does not name spec.replicas: $STALLED"
[ "$(jp pods -o name | grep -c "pod/$DEV-")" -eq 1 ] || fail "expected one pod: $(jp pods -o name)"
out=$(kubectl scale "metasrvcluster/$DEV" --replicas=1 2>&1) || fail "kubectl scale: $out"
wait_for 60 "condition Stalled False" condition_is $DEV Stalled False
wait_for 60 "condition Ready True" condition_is $DEV Ready True
ok "$STALLED"

step "kubectl delete metasrvcluster $DEV"
out=$(kubectl delete "metasrvcluster/$DEV" --timeout=60s 2>&1) || fail "kubectl delete: $out"
wait_for 60 "the pod gone" eval "! jp pods -o name | matches pod/$DEV-"
ok

# ---------------------------------------------------------------------------------------------
# The PostgreSQL sample against the local PostgreSQL, in a database and as a user of this run's
# own, whose password holds what a connection string cannot carry: the pods get the user name
# from the Secret through the environment and the password as a mounted file.
PG=metasrv-postgres
PG_DB=metasrv_e2e_$(date +%s)_$$
PG_ROLE=$PG_DB
PG_PASSWORD="e2e p@ss, w'rd"
step "PostgreSQL 127.0.0.1:5432: database and user $PG_DB for this run"
command -v psql >/dev/null || fail "psql is not on PATH (apt-get install -y postgresql-client)"
out=$(pg_admin "SELECT 1" 2>&1) || fail "PostgreSQL at 127.0.0.1:5432 does not answer (.ci/run starts it): $out"
out=$(pg_admin "CREATE ROLE $PG_ROLE LOGIN PASSWORD '${PG_PASSWORD//\'/\'\'}'" 2>&1 \
  && pg_admin "CREATE DATABASE $PG_DB OWNER $PG_ROLE" 2>&1) || fail "$out"
ok

PG_SAMPLE=$WORK/postgres-cluster.yaml
sed -e "s|^\(      host:\) postgres\.databases\.svc$|\1 127.0.0.1|" \
    -e "s|^\(      database:\) metasrv$|\1 $PG_DB|" \
    -e "s|^\(  username:\) .*|\1 $(printf %s "$PG_ROLE" | base64 -w0)|" \
    -e "s|^\(  password:\) .*|\1 $(printf %s "$PG_PASSWORD" | base64 -w0)|" \
    manifests/samples/postgres-cluster.yaml >"$PG_SAMPLE"
step "kubectl apply sample postgres-cluster.yaml (-> local PostgreSQL, own database)"
for want in "host: 127.0.0.1" "database: $PG_DB"; do
  grep -q "^ *$want\$" "$PG_SAMPLE" || fail "the sample no longer has the lines this run rewrites ($want)"
done
out=$(kubectl apply --validate=false -f "$PG_SAMPLE" 2>&1) || fail "kubectl apply: $out"
echo "$out" | matches "metasrvcluster.metasrv.io/$PG created" || fail "expected created, got: $out"
ok

step "kubectl wait --for=condition=Ready metasrvcluster/$PG"
out=$(kubectl wait --for=condition=Ready "metasrvcluster/$PG" --timeout=180s 2>&1) \
  || fail "$out; status: $(jp msc $PG -o jsonpath='{.status}')"
pg_ready() { [ "$(jp msc $PG -o jsonpath='{.status.readyReplicas}')" = 2 ]; }
wait_for 60 "status.readyReplicas 2" pg_ready
[ "$(jp msc $PG -o jsonpath='{.status.backend}')" = postgres ] \
  || fail "status.backend $(jp msc $PG -o jsonpath='{.status.backend}'), expected postgres"
ok "$out"

pg_leader() { jp msc $PG -o jsonpath='{.status.leader.pod}'; }
pg_has_leader() { [ -n "$(pg_leader)" ]; }
step "credentials: user from the Secret, password as a file, none in the ConfigMap"
wait_for 60 "status.leader.pod" pg_has_leader
PG_LEADER=$(pg_leader)
CONFIG=$(jp cm "$PG-config" -o jsonpath='{.data.config\.toml}')
grep -q '^store_addrs = \["host=127.0.0.1 port=5432 dbname='"$PG_DB"'"\]$' <<<"$CONFIG" \
  || fail "store_addrs in the ConfigMap: $(grep '^store_addrs' <<<"$CONFIG")"
grep -q '^password_file = "/etc/metasrv/store-credentials/password"$' <<<"$CONFIG" \
  || fail "no [backend_auth] password_file in the ConfigMap"
grep -qF "p@ss" <<<"$CONFIG" && fail "the password is in the ConfigMap"
[ "$(cat "$WORK"/pods/$NS/"$PG_LEADER"/volumes/store-credentials/password)" = "$PG_PASSWORD" ] \
  || fail "the mounted password file of $PG_LEADER does not hold the Secret's password"
OWNER=$(pg_admin "SELECT tableowner FROM pg_tables WHERE tablename = 'greptime_metakv'" "$PG_DB")
[ "$OWNER" = "$PG_ROLE" ] || fail "greptime_metakv in $PG_DB owned by \"$OWNER\", expected $PG_ROLE"
SESSIONS=$(pg_admin "SELECT count(*) FROM pg_stat_activity WHERE datname = '$PG_DB' AND usename = '$PG_ROLE'")
[ "$SESSIONS" -gt 0 ] || fail "no session of $PG_ROLE on $PG_DB"
ok "leader $PG_LEADER; $SESSIONS sessions as $PG_ROLE; $(pg_admin "SELECT count(*) FROM greptime_metakv" "$PG_DB") keys"

step "kill -9 the PostgreSQL leader's process; a new leader in status"
PID=$(cat "$WORK/pods/$NS/$PG_LEADER/pid") || fail "no pid file for $PG_LEADER"
KILLED_AT=$(date +%s%N)
kill -KILL "$PID" || fail "kill $PID"
pg_new_leader() { local l; l=$(pg_leader); [ -n "$l" ] && [ "$l" != "$PG_LEADER" ]; }
wait_for 90 "a leader other than $PG_LEADER in status" pg_new_leader
NEW_LEADER=$(pg_leader)
NEW_IP=$(jp pod "$NEW_LEADER" -o jsonpath='{.status.podIP}')
curl -sf "http://$NEW_IP:4000/health" | matches '"status" *: *"leader"' \
  || fail "$NEW_LEADER ($NEW_IP) does not answer leader on /health"
ok "$PG_LEADER -> $NEW_LEADER, in status $(ms "$KILLED_AT") ms after the kill"

step "kubectl delete metasrvcluster $PG; the run's database dropped"
out=$(kubectl delete -f "$PG_SAMPLE" --timeout=60s 2>&1) || fail "kubectl delete: $out"
wait_for 60 "the pods gone" eval "! jp pods -o name | matches pod/$PG-"
wait_for 60 "the pod processes stopped" eval "! ls $WORK/pods/$NS/$PG-*/pid >/dev/null 2>&1"
out=$(pg_admin "DROP DATABASE $PG_DB WITH (FORCE)" 2>&1 && pg_admin "DROP ROLE $PG_ROLE" 2>&1) \
  || fail "$out"
PG_DB=
ok

echo "== e2e passed"
