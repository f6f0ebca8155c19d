package io.metasrv.procedure.migration;

import java.time.Duration;

/** The time a migration reads and waits in; tests substitute one that moves when they say. */
public interface MigrationClock {

  /** The wall clock, as written in {@code leader_down_since} and compared with lease times. */
  long wallMillis();

  /** A monotonic clock for time budgets. */
  long nanoTime();

  void sleep(Duration duration) throws InterruptedException;

  MigrationClock SYSTEM = new MigrationClock() {
    @Override
    public long wallMillis() {
      return System.currentTimeMillis();
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
      Thread.sleep(duration.toMillis());
    }
  };
}
