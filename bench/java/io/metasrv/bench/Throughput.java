package io.metasrv.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Blocking-call throughput: N named threads, each doing one call after another. */
final class Throughput {
  static final Duration WARM_UP = Duration.ofMillis(500);

  interface Operation {
    void run(int index) throws Exception;
  }

  private Throughput() {}

  /** Operations per second over {@code measure}, after a warm-up with the same threads. */
  static double measure(String name, int threads, int indexBound, Operation operation,
      Duration measure) throws InterruptedException {
    AtomicLong completed = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long measureFrom = start + WARM_UP.toNanos();
    long end = measureFrom + measure.toNanos();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread worker = new Thread(() -> {
        java.util.Random random = new java.util.Random(seed);
        try {
          long now;
          while ((now = System.nanoTime()) < end && failure.get() == null) {
            operation.run(random.nextInt(indexBound));
            if (now >= measureFrom) {
              completed.incrementAndGet();
            }
          }
        } catch (Exception e) {
          failure.compareAndSet(null, e instanceof ExecutionException ? e.getCause() : e);
        }
      }, "bench-" + name + "-" + t);
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException(name + " failed", failure.get());
    }
    return completed.get() / (measure.toNanos() / 1e9);
  }
}
