package io.metasrv.failure;

import io.metasrv.config.FailureDetectorOptions;
import java.util.OptionalLong;

/**
 * The phi-accrual failure detector (Hayashibara et al.) as GreptimeDB ports it from Akka, so that
 * a region is declared failed after exactly the same silence as under a GreptimeDB metasrv.
 *
 * <p>It keeps the last {@value #MAX_SAMPLE_SIZE} intervals between heartbeats and models them as
 * a normal distribution. phi, the suspicion level, is {@code -log10(1 - F(silence))} with F the
 * cumulative distribution of that normal distribution shifted right by the acceptable heartbeat
 * pause, and with its standard deviation at least {@code min_std_deviation}; F is the logistic
 * approximation {@code 1 / (1 + exp(-y (1.5976 + 0.070566 y²)))}. A node is available while phi
 * is below the threshold. With heartbeats every 3 s and the default options, that is until 13.522
 * s of silence.
 *
 * <p>Time is whatever millisecond clock the caller uses, passed in on every call, so that the
 * same detector is exact under a test's fake clock. Thread-safe.
 */
public final class PhiAccrualFailureDetector {
  /** The number of intervals the statistics are taken over (Akka's and GreptimeDB's). */
  public static final int MAX_SAMPLE_SIZE = 1000;

  private final double threshold;
  private final double minStdDeviationMillis;
  private final long acceptablePauseMillis;
  private final long firstHeartbeatEstimateMillis;
  private final IntervalHistory history;
  private boolean heartbeated;
  private long lastHeartbeatMillis;

  /** A detector with the same options, history and last heartbeat as {@code other}. */
  public PhiAccrualFailureDetector(PhiAccrualFailureDetector other) {
    synchronized (other) {
      this.threshold = other.threshold;
      this.minStdDeviationMillis = other.minStdDeviationMillis;
      this.acceptablePauseMillis = other.acceptablePauseMillis;
      this.firstHeartbeatEstimateMillis = other.firstHeartbeatEstimateMillis;
      this.history = other.history.copy();
      this.heartbeated = other.heartbeated;
      this.lastHeartbeatMillis = other.lastHeartbeatMillis;
    }
  }

  public PhiAccrualFailureDetector(FailureDetectorOptions options) {
    // GreptimeDB reads the threshold as an f32; rounding it the same way keeps
    // phi-versus-threshold comparisons identical for thresholds like 8.1.
    this.threshold = (float) options.threshold();
    this.minStdDeviationMillis = options.minStdDeviation().toMillis();
    this.acceptablePauseMillis = options.acceptableHeartbeatPause().toMillis();
    this.firstHeartbeatEstimateMillis = options.firstHeartbeatEstimate().toMillis();
    this.history = new IntervalHistory();
    if (minStdDeviationMillis <= 0) {
      throw new IllegalArgumentException("min_std_deviation must be positive, got "
          + options.minStdDeviation());
    }
  }

  /**
   * Records a heartbeat at {@code timestampMillis}.
   *
   * <p>The first one seeds the history with two intervals around {@code first_heartbeat_estimate}
   * (estimate ∓ estimate/4), so a node that heartbeats once and then falls silent is still
   * judged. Later ones add their interval only while the node is judged available, so a node
   * coming back from a long silence does not teach the detector to tolerate such silences. A
   * timestamp older than the last heartbeat is ignored.
   */
  public synchronized void heartbeat(long timestampMillis) {
    if (!heartbeated) {
      long deviation = firstHeartbeatEstimateMillis / 4;
      history.add(firstHeartbeatEstimateMillis - deviation);
      history.add(firstHeartbeatEstimateMillis + deviation);
      heartbeated = true;
    } else {
      if (timestampMillis < lastHeartbeatMillis) {
        return;
      }
      if (phi(timestampMillis) < threshold) {
        history.add(timestampMillis - lastHeartbeatMillis);
      }
    }
    lastHeartbeatMillis = timestampMillis;
  }

  /** The suspicion level at {@code nowMillis}; 0 before the first heartbeat. */
  public synchronized double phi(long nowMillis) {
    if (!heartbeated) {
      return 0.0;
    }
    double stdDeviation = Math.max(history.stdDeviation(), minStdDeviationMillis);
    return phi(nowMillis - lastHeartbeatMillis, history.mean() + acceptablePauseMillis,
        stdDeviation);
  }

  /** Whether phi at {@code nowMillis} is below the threshold. */
  public boolean isAvailable(long nowMillis) {
    return phi(nowMillis) < threshold;
  }

  /** The time of the last heartbeat recorded, empty before the first. */
  public synchronized OptionalLong lastHeartbeatMillis() {
    return heartbeated ? OptionalLong.of(lastHeartbeatMillis) : OptionalLong.empty();
  }

  /** The threshold as compared against phi. */
  public double threshold() {
    return threshold;
  }

  /**
   * Whether this detector and {@code other} are in the same state: same options, same last
   * heartbeat, and the same intervals in the same order, so that they judge every future
   * heartbeat and silence alike. Takes both detectors' locks; the caller must keep anyone else
   * from comparing the two in the opposite order at the same time.
   */
  boolean sameStateAs(PhiAccrualFailureDetector other) {
    if (other == this) {
      return true;
    }
    synchronized (this) {
      synchronized (other) {
        return threshold == other.threshold
            && minStdDeviationMillis == other.minStdDeviationMillis
            && acceptablePauseMillis == other.acceptablePauseMillis
            && firstHeartbeatEstimateMillis == other.firstHeartbeatEstimateMillis
            && heartbeated == other.heartbeated
            && lastHeartbeatMillis == other.lastHeartbeatMillis
            && history.sameIntervalsAs(other.history);
      }
    }
  }

  /**
   * A hash of the state {@link #sameStateAs} compares, cheap to compute (it reads the last
   * heartbeat and the history's count and sums, not the intervals).
   */
  synchronized long stateHash() {
    long hash = heartbeated ? lastHeartbeatMillis : Long.MIN_VALUE;
    hash = 31 * hash + history.size;
    hash = 31 * hash + history.sum;
    return 31 * hash + history.squaredSum;
  }

  /**
   * {@code -log10(1 - F(silence))} for a normal distribution N(mean, stdDeviation), with the
   * logistic approximation of F; written as two branches so that neither loses precision.
   */
  static double phi(long silenceMillis, double mean, double stdDeviation) {
    double silence = silenceMillis;
    double y = (silence - mean) / stdDeviation;
    double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    if (silence > mean) {
      return -Math.log10(e / (1.0 + e));
    }
    return -Math.log10(1.0 - 1.0 / (1.0 + e));
  }

  /**
   * The last {@value #MAX_SAMPLE_SIZE} intervals in a ring, with their running sum and sum of
   * squares. The ring grows as intervals arrive, so a detector that saw few heartbeats stays
   * small.
   */
  private static final class IntervalHistory {
    private long[] intervals = new long[8];
    private int oldest;
    private int size;
    private long sum;
    private long squaredSum;

    IntervalHistory copy() {
      IntervalHistory copy = new IntervalHistory();
      copy.intervals = intervals.clone();
      copy.oldest = oldest;
      copy.size = size;
      copy.sum = sum;
      copy.squaredSum = squaredSum;
      return copy;
    }

    void add(long interval) {
      if (size == MAX_SAMPLE_SIZE) {
        long dropped = intervals[oldest];
        sum -= dropped;
        squaredSum -= dropped * dropped;
        oldest = (oldest + 1) % intervals.length;
        size--;
      } else if (size == intervals.length) {
        grow();
      }
      intervals[(oldest + size) % intervals.length] = interval;
      size++;
      sum += interval;
      squaredSum += interval * interval;
    }

    private void grow() {
      long[] grown = new long[Math.min(MAX_SAMPLE_SIZE, intervals.length * 2)];
      // the ring is full here: unwrap it so that the oldest interval is at index 0
      System.arraycopy(intervals, oldest, grown, 0, size - oldest);
      System.arraycopy(intervals, 0, grown, size - oldest, oldest);
      intervals = grown;
      oldest = 0;
    }

    boolean sameIntervalsAs(IntervalHistory other) {
      if (size != other.size || sum != other.sum || squaredSum != other.squaredSum) {
        return false;
      }
      for (int i = 0; i < size; i++) {
        if (intervals[(oldest + i) % intervals.length]
            != other.intervals[(other.oldest + i) % other.intervals.length]) {
          return false;
        }
      }
      return true;
    }

    double mean() {
      return (double) sum / size;
    }

    double stdDeviation() {
      double mean = mean();
      // rounding can make the variance of near-equal intervals a hair below zero; GreptimeDB's
      // NaN from that ends up as min_std_deviation, and so does 0 here
      return Math.sqrt(Math.max(0.0, (double) squaredSum / size - mean * mean));
    }
  }
}
