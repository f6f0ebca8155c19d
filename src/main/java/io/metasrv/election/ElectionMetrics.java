package io.metasrv.election;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters every campaigning election keeps: {@code metasrv.election.leader.changes} counted
 * by {@code event} (elected, step_down) and the gauge {@code metasrv.election.term}, the term
 * this node leads in or 0.
 */
public final class ElectionMetrics {
  private final Counter elected;
  private final Counter steppedDown;
  private final AtomicLong heldTerm = new AtomicLong();

  public ElectionMetrics(MeterRegistry registry) {
    this.elected = leaderChanges("elected", registry);
    this.steppedDown = leaderChanges("step_down", registry);
    Gauge.builder("metasrv.election.term", heldTerm, AtomicLong::get)
        .description("The election term this node leads in, 0 when it does not lead")
        .strongReference(true)
        .register(registry);
  }

  private static Counter leaderChanges(String event, MeterRegistry registry) {
    return Counter.builder("metasrv.election.leader.changes")
        .description("Times this node became leader or stopped being leader")
        .tag("event", event)
        .register(registry);
  }

  /** This node leads in {@code term}. */
  public void elected(long term) {
    heldTerm.set(term);
    elected.increment();
  }

  /** This node no longer leads. */
  public void steppedDown() {
    heldTerm.set(0);
    steppedDown.increment();
  }
}
