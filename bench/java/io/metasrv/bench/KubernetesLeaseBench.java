package io.metasrv.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.election.kubernetes.KubernetesLeaseConfig;
import io.metasrv.election.kubernetes.KubernetesLeaseElection;
import io.metasrv.election.kubernetes.MockApiServer;
import io.metasrv.election.kubernetes.TcpProxy;
import io.metasrv.fence.LeaderEpoch;
import io.metasrv.kv.MemoryKv;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takeover times of {@link KubernetesLeaseElection} beside fabric8's own {@code LeaderElector},
 * in the same run, on the same in-JVM mock API server (CRUD mode), with the same timings.
 *
 * <p>Each round starts three electors on a fresh Lease, waits for one to lead and then for a
 * random one to three retry periods (so the event falls at any point of the renewal and polling
 * cycles), then either releases it (graceful: ours closes, which resigns; fabric8's is
 * cancelled with release on cancel) or crashes it (its connection to the API server is cut
 * first, so it releases nothing), and measures until another elector says it leads. Both
 * implementations run their rounds at the same time, each on its own Lease. "two holders" counts
 * the times an elector started leading while another one still said it led.
 *
 * <p>Targets: graceful, a median of at most 300 ms whatever the timings (ours watches the Lease,
 * fabric8's polls it every retry period); crash, at most a lease duration and a retry period.
 * Each line of ours also prints its median as a ratio of fabric8's in the same run.
 */
public final class KubernetesLeaseBench {
  private static final int ELECTORS = 3;

  /** The graceful target: a median takeover of at most this, whatever the timings. */
  private static final Duration GRACEFUL_MEDIAN_TARGET = Duration.ofMillis(300);

  private record Timings(String name, Duration lease, Duration renew, Duration retry) {
    Duration crashTarget() {
      return lease.plus(retry);
    }
  }

  /** One elector of either implementation, as a round drives it. */
  private interface Elector {
    boolean leads();

    /** When it last started leading ({@link System#nanoTime()}), 0 if never. */
    long electedAtNanos();

    void release();

    void crash() throws IOException;
  }

  /** Starts electors of one implementation. */
  private interface Implementation {
    String name();

    Elector start(String identity, String leaseName, Timings timings, List<Elector> peers,
        AtomicInteger twoHolders, List<AutoCloseable> resources) throws IOException;
  }

  private record Result(String implementation, List<Long> millis, int twoHolders) {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    String only = args.length > 1 ? args[1] : "all";
    String events = args.length > 2 ? args[2] : "both";
    List<Boolean> crashes = switch (events) {
      case "graceful" -> List.of(false);
      case "crash" -> List.of(true);
      case "both" -> List.of(false, true);
      default -> throw new IllegalArgumentException("graceful, crash or both, not " + events);
    };
    List<Timings> timings = new ArrayList<>();
    if (!only.equals("defaults")) {
      timings.add(new Timings("2s/1.5s/0.5s", Duration.ofSeconds(2), Duration.ofMillis(1500),
          Duration.ofMillis(500)));
    }
    if (!only.equals("fast")) {
      timings.add(new Timings("defaults 15s/10s/2s", Duration.ofSeconds(15),
          Duration.ofSeconds(10), Duration.ofSeconds(2)));
    }
    List<String> lines = new ArrayList<>();
    try (MockApiServer api = new MockApiServer()) {
      ExecutorService side = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "bench-implementation");
        thread.setDaemon(true);
        return thread;
      });
      try {
        for (Timings timing : timings) {
          for (boolean crash : crashes) {
            Future<Result> ours = side.submit(() -> rounds(api, new Ours(api), timing, crash,
                rounds));
            Future<Result> theirs = side.submit(() -> rounds(api, new Fabric8(api), timing,
                crash, rounds));
            Result baseline = theirs.get();
            for (Result result : List.of(ours.get(), baseline)) {
              String line = summary(timing, crash, result, baseline);
              System.out.println(line);
              lines.add(line);
            }
          }
        }
      } finally {
        side.shutdownNow();
      }
    }
    System.out.println();
    System.out.println("takeover (ms) over " + rounds + " rounds, 3 electors, fabric8 mock API"
        + " server in CRUD mode");
    lines.forEach(System.out::println);
  }

  private static String summary(Timings timing, boolean crash, Result result,
      Result baseline) {
    long median = median(result);
    long max = Collections.max(result.millis());
    String target = crash
        ? String.format(Locale.ROOT, "max <= %d: %s", timing.crashTarget().toMillis(),
            max <= timing.crashTarget().toMillis() ? "met" : "MISSED")
        : String.format(Locale.ROOT, "median <= %d: %s", GRACEFUL_MEDIAN_TARGET.toMillis(),
            median <= GRACEFUL_MEDIAN_TARGET.toMillis() ? "met" : "MISSED");
    String ratio = result == baseline ? "baseline"
        : String.format(Locale.ROOT, "median %.3f x fabric8's", (double) median
            / Math.max(1, median(baseline)));
    return String.format(Locale.ROOT,
        "%-20s %-8s %-22s min %5d  median %5d  max %5d  (target %s; %s)  two holders: %d  "
            + "rounds: %s",
        timing.name(), crash ? "crash" : "graceful", result.implementation(),
        Collections.min(result.millis()), median, max, target, ratio, result.twoHolders(),
        result.millis());
  }

  private static long median(Result result) {
    List<Long> sorted = new ArrayList<>(result.millis());
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static Result rounds(MockApiServer api, Implementation implementation,
      Timings timings, boolean crash, int rounds) throws Exception {
    List<Long> millis = new ArrayList<>();
    AtomicInteger twoHolders = new AtomicInteger();
    for (int round = 0; round < rounds; round++) {
      String leaseName = implementation.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "")
          + "-" + (crash ? "crash" : "graceful") + "-" + timings.retry().toMillis() + "-" + round;
      millis.add(round(implementation, leaseName, timings, crash, twoHolders));
    }
    return new Result(implementation.name(), millis, twoHolders.get());
  }

  private static long round(Implementation implementation, String leaseName, Timings timings,
      boolean crash, AtomicInteger twoHolders) throws Exception {
    List<Elector> electors = Collections.synchronizedList(new ArrayList<>());
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      for (int i = 1; i <= ELECTORS; i++) {
        electors.add(implementation.start("10.0.0." + i + ":3002", leaseName, timings, electors,
            twoHolders, resources));
      }
      long startDeadline = System.nanoTime() + timings.lease().multipliedBy(3).toNanos();
      Elector leader = await(() -> electors.stream().filter(Elector::leads).count() == 1
          ? electors.stream().filter(Elector::leads).findFirst().orElse(null) : null,
          startDeadline, "a first leader on " + leaseName);

      // let the release or crash fall at a random point of the renewal and polling cycles
      Thread.sleep(timings.retry().toMillis()
          + ThreadLocalRandom.current().nextLong(timings.retry().multipliedBy(2).toMillis()));
      if (!leader.leads()) {
        throw new IllegalStateException("the first leader lost its Lease on " + leaseName);
      }
      long eventAt = System.nanoTime();
      if (crash) {
        leader.crash();
      } else {
        leader.release();
      }
      long deadline = eventAt + timings.lease().multipliedBy(3).toNanos();
      Elector successor = await(() -> electors.stream()
          .filter(e -> e != leader && e.leads()).findFirst().orElse(null), deadline,
          "a successor on " + leaseName);
      return TimeUnit.NANOSECONDS.toMillis(successor.electedAtNanos() - eventAt);
    } finally {
      for (int i = resources.size() - 1; i >= 0; i--) {
        resources.get(i).close();
      }
    }
  }

  private interface Probe {
    Elector find();
  }

  private static Elector await(Probe probe, long deadlineNanos, String what)
      throws InterruptedException {
    while (System.nanoTime() - deadlineNanos < 0) {
      Elector found = probe.find();
      if (found != null) {
        return found;
      }
      Thread.sleep(2);
    }
    throw new IllegalStateException("no " + what + " in time");
  }

  private static KubernetesClient clientThrough(TcpProxy proxy, Timings timings) {
    return MockApiServer.client(proxy.url(), timings.retry());
  }

  /** {@link KubernetesLeaseElection}: graceful is {@code close()}, which resigns first. */
  private record Ours(MockApiServer api) implements Implementation {
    @Override
    public String name() {
      return "ours";
    }

    @Override
    public Elector start(String identity, String leaseName, Timings timings,
        List<Elector> peers, AtomicInteger twoHolders, List<AutoCloseable> resources)
        throws IOException {
      TcpProxy proxy = new TcpProxy(api.port());
      resources.add(proxy);
      KubernetesClient client = clientThrough(proxy, timings);
      resources.add(client);
      KubernetesLeaseElection election = new KubernetesLeaseElection(client,
          new KubernetesLeaseConfig(MockApiServer.NAMESPACE, leaseName, timings.lease(),
              timings.renew(), timings.retry()),
          new LeaderEpoch(new MemoryKv())::current, System::nanoTime, Clock.systemUTC(),
          new SimpleMeterRegistry());
      resources.add(election);
      AtomicLong electedAt = new AtomicLong();
      Elector elector = new Elector() {
        @Override
        public boolean leads() {
          return electedAt.get() != 0 && election.isLeader();
        }

        @Override
        public long electedAtNanos() {
          return electedAt.get();
        }

        @Override
        public void release() {
          election.close();
        }

        @Override
        public void crash() throws IOException {
          proxy.cut();
          election.close();
        }
      };
      election.start(new MetasrvNodeInfo(identity, "bench", "bench", 0L), change -> {
        if (change instanceof LeaderChange.Elected) {
          countOtherHolders(peers, elector, twoHolders);
          electedAt.set(System.nanoTime());
        } else {
          electedAt.set(0);
        }
      });
      return elector;
    }
  }

  /** fabric8's {@code LeaderElector} with a {@code LeaseLock}, released on cancel. */
  private record Fabric8(MockApiServer api) implements Implementation {
    @Override
    public String name() {
      return "fabric8 LeaderElector";
    }

    @Override
    public Elector start(String identity, String leaseName, Timings timings,
        List<Elector> peers, AtomicInteger twoHolders, List<AutoCloseable> resources)
        throws IOException {
      TcpProxy proxy = new TcpProxy(api.port());
      resources.add(proxy);
      KubernetesClient client = clientThrough(proxy, timings);
      resources.add(client);
      AtomicLong electedAt = new AtomicLong();
      Elector[] self = new Elector[1];
      CompletableFuture<?>[] running = new CompletableFuture<?>[1];
      LeaderCallbacks callbacks = new LeaderCallbacks(
          () -> {
            countOtherHolders(peers, self[0], twoHolders);
            electedAt.set(System.nanoTime());
          },
          () -> electedAt.set(0),
          newLeader -> { });
      running[0] = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
          .withName(leaseName)
          .withLock(new LeaseLock(MockApiServer.NAMESPACE, leaseName, identity))
          .withLeaseDuration(timings.lease())
          .withRenewDeadline(timings.renew())
          .withRetryPeriod(timings.retry())
          .withLeaderCallbacks(callbacks)
          .withReleaseOnCancel(true)
          .build()).build().start();
      resources.add(() -> running[0].cancel(true));
      self[0] = new Elector() {
        @Override
        public boolean leads() {
          return electedAt.get() != 0;
        }

        @Override
        public long electedAtNanos() {
          return electedAt.get();
        }

        @Override
        public void release() {
          running[0].cancel(true);
        }

        @Override
        public void crash() throws IOException {
          proxy.cut();
          running[0].cancel(true);
        }
      };
      return self[0];
    }
  }

  private static void countOtherHolders(List<Elector> peers, Elector elected,
      AtomicInteger twoHolders) {
    synchronized (peers) {
      for (Elector peer : peers) {
        if (peer != elected && peer.leads()) {
          twoHolders.incrementAndGet();
        }
      }
    }
  }
}
