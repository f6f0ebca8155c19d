package io.metasrv.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this operator replica reconciles now. Without leader election it always does; with it,
 * only while it holds the Lease, and readiness reports the others as standby.
 */
public final class OperatorLeadership {
  private static final Logger log = LoggerFactory.getLogger(OperatorLeadership.class);

  private final AtomicBoolean leading;

  private OperatorLeadership(boolean leadingFromStart) {
    this.leading = new AtomicBoolean(leadingFromStart);
  }

  /** The only replica: reconciles from the start. */
  public static OperatorLeadership alone() {
    return new OperatorLeadership(true);
  }

  /** One of several replicas: reconciles once the Lease is won. */
  public static OperatorLeadership elected() {
    return new OperatorLeadership(false);
  }

  public boolean leading() {
    return leading.get();
  }

  /**
   * Callbacks for JOSDK's leader election, which starts the controllers itself before calling
   * them. A replica that loses the Lease cannot start its controllers again, so {@code onLost}
   * ends the process and Kubernetes starts a fresh one that campaigns anew.
   */
  LeaderCallbacks callbacks(Runnable onLost) {
    return new LeaderCallbacks(
        () -> {
          leading.set(true);
          log.info("operator leadership acquired: reconciling");
        },
        () -> {
          if (leading.getAndSet(false)) {
            log.warn("operator leadership lost");
            onLost.run();
          }
        },
        leader -> log.info("operator leader is {}", leader));
  }
}
