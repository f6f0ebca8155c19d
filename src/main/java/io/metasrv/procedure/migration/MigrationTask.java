package io.metasrv.procedure.migration;

import io.metasrv.metadata.Peer;
import java.time.Duration;
import java.util.Objects;

/** A request to move a region's leader from one datanode to another within {@code timeout}. */
public record MigrationTask(long regionId, Peer fromPeer, Peer toPeer, Duration timeout) {

  /** GreptimeDB's timeout for a failover's migration. */
  public static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(60);

  public MigrationTask {
    Objects.requireNonNull(fromPeer, "fromPeer");
    Objects.requireNonNull(toPeer, "toPeer");
    Objects.requireNonNull(timeout, "timeout");
  }
}
