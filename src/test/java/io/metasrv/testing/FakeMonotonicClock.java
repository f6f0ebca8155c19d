package io.metasrv.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link MonotonicClock} that moves only when a test advances it. */
public final class FakeMonotonicClock implements MonotonicClock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  public void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("a monotonic clock cannot go back: " + by);
    }
    nanos.addAndGet(by.toNanos());
  }
}
