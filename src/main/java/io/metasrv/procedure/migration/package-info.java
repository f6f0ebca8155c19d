/**
 * Region migration and region failover on the leader, as GreptimeDB's {@code
 * procedure/region_migration} and {@code RegionSupervisor::do_failover}: {@link
 * io.metasrv.procedure.migration.RegionMigrationProcedure} (the states, their mailbox
 * instructions and the route updates, resumable by a new leader), {@link
 * io.metasrv.procedure.migration.RegionMigrationManager} (checks a request and submits it, one
 * migration per region) and {@link io.metasrv.procedure.migration.MigrationFailover} (what the
 * region supervisor calls for a failed region when {@code enable_region_failover} is on).
 *
 * <p>Beyond GreptimeDB: an old leader that cannot be downgraded keeps its region until its last
 * writable lease has lapsed, and a rolled-back candidate likewise, so two datanodes never both
 * hold a writable lease on a region.
 */
package io.metasrv.procedure.migration;
