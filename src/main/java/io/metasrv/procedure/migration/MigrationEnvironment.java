package io.metasrv.procedure.migration;

import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.metadata.TableRoutes;
import java.util.OptionalLong;
import java.util.function.LongFunction;

/**
 * What region migrations work with on the leader: the routes (through the fenced store) and the
 * writer that combines migrations' route writes, the mailbox to datanodes, the region keeper that keeps a candidate's lease, the failure detectors,
 * cache invalidation, when each datanode was last heard from, and the clock.
 *
 * @param serverAddr this metasrv's address, the sender of mailbox messages
 * @param lastHeartbeatMillis the leader's wall-clock time of a datanode's last heartbeat, when
 *     this leader has heard from it
 */
public record MigrationEnvironment(
    TableRoutes routes,
    RouteWriter routeWriter,
    Mailbox mailbox,
    String serverAddr,
    MemoryRegionKeeper regionKeeper,
    RegionFailureDetectors detectors,
    CacheInvalidator invalidator,
    LongFunction<OptionalLong> lastHeartbeatMillis,
    MigrationTracker tracker,
    MigrationClock clock) {}
