package io.metasrv.testing;

/**
 * The monotonic time simulated nodes keep region lease deadlines and writable intervals in, as
 * GreptimeDB's datanode keeps them in {@code tokio::time::Instant}. Nodes that must be compared
 * ("never two writable leaders at once") share one clock.
 */
@FunctionalInterface
public interface MonotonicClock {
  MonotonicClock SYSTEM = System::nanoTime;

  long nanoTime();
}
