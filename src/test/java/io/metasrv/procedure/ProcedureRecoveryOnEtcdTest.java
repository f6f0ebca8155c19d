package io.metasrv.procedure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.config.ProcedureOptions;
import io.metasrv.fence.FencedKv;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A leader's procedure taken over by its successor on a real etcd: the successor resumes it from
 * its last stored step and finishes it, and the old leader, fenced, writes nothing more.
 */
class ProcedureRecoveryOnEtcdTest {
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void theSuccessorResumesFromTheLastStepAndTheFencedLeaderWritesNothing() throws Exception {
    EtcdKv etcd = EtcdKv.connect(EtcdKvConfig.of(EtcdProcess.shared().endpoint()),
        KvLimits.DEFAULT);
    closing.add(etcd);
    KvBackend store = ChrootKv.wrap(Bytes.utf8("procedure-test-" + UUID.randomUUID() + "/"),
        etcd);
    StepWorld world = new StepWorld();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    closing.add(gate::countDown);
    world.on("migrate", 2, StepWorld.blockUntil(entered, gate));

    FencedKv oldLeaderKv = new FencedKv(store, epoch -> { });
    closing.add(oldLeaderKv);
    oldLeaderKv.acquire(0);
    ProcedureManager oldLeader = manager(oldLeaderKv, world);
    oldLeader.start();
    ProcedureId id = oldLeader.submit(StepProcedure.of(world, "migrate", 4).writes(1024));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    FencedKv newLeaderKv = new FencedKv(store, epoch -> { });
    closing.add(newLeaderKv);
    newLeaderKv.acquire(0);
    ProcedureManager newLeader = manager(newLeaderKv, world);
    newLeader.start();
    ProcedureState done = newLeader.whenFinished(id).get(30, TimeUnit.SECONDS);

    assertThat(done.kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(procedureKeys(store)).isEmpty();

    gate.countDown(); // the old leader's step returns and tries to store the next step
    ProcedureState stopped = oldLeader.whenFinished(id).get(30, TimeUnit.SECONDS);
    await().until(() -> oldLeader.locks.lockedKeys() == 0);

    assertThat(stopped.error().orElseThrow()).startsWith("Procedure Manager is stopped: fenced");
    assertThat(procedureKeys(store)).as("nothing written after fencing").isEmpty();
    assertThat(world.executionsOf("migrate")).containsExactly("0", "1", "2", "2", "3");
  }

  private ProcedureManager manager(KvBackend kv, StepWorld world) {
    ProcedureManager manager = ProcedureManager.builder(kv, ProcedureOptions.defaults())
        .sleeper((delay, wakeUp) -> { })
        .build();
    manager.registerLoader(StepProcedure.TYPE, StepProcedure.loader(world));
    closing.add(manager);
    return manager;
  }

  private static List<String> procedureKeys(KvBackend store) {
    return store.range(RangeRequest.prefix(Bytes.utf8(ProcedureStore.PREFIX)).withKeysOnly())
        .kvs().stream().map(kv -> Bytes.utf8(kv.key())).toList();
  }
}
