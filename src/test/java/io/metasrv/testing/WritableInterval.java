package io.metasrv.testing;

/**
 * A stretch of {@link MonotonicClock} time during which a simulated datanode took a region as
 * writable (its leader): from {@code startNanos} inclusive to {@code endNanos} exclusive, {@link
 * Long#MAX_VALUE} while it still is.
 */
public record WritableInterval(long startNanos, long endNanos) {
  public static final long OPEN = Long.MAX_VALUE;

  public boolean overlaps(WritableInterval other) {
    return startNanos < other.endNanos && other.startNanos < endNanos;
  }
}
