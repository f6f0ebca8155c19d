package io.metasrv.procedure.migration;

/**
 * The states of a region migration, by the names GreptimeDB's typetag writes under {@code
 * "region_migration_state"}; the three {@code UpdateMetadata} steps add {@code
 * "UpdateMetadata":"Downgrade|Upgrade|Rollback"}, an abort its {@code "reason"}.
 */
public sealed interface MigrationState {

  /** The typetag name. */
  String name();

  /** Checks the route: already done, wrong leader, or where to begin. */
  record Start() implements MigrationState {
    public String name() {
      return "RegionMigrationStart";
    }
  }

  /** Opens the region on the target as a follower, without WAL replay. */
  record OpenCandidateRegion() implements MigrationState {
    public String name() {
      return "OpenCandidateRegion";
    }
  }

  /** Marks the old leader downgrading in the route (its lease stops being writable). */
  record UpdateMetadataDowngrade() implements MigrationState {
    public String name() {
      return "UpdateMetadata";
    }
  }

  /** Asks the old leader to flush and become a follower; remembers its last WAL entry. */
  record DowngradeLeaderRegion() implements MigrationState {
    public String name() {
      return "DowngradeLeaderRegion";
    }
  }

  /** Asks the target to replay the WAL and become leader. */
  record UpgradeCandidateRegion() implements MigrationState {
    public String name() {
      return "UpgradeCandidateRegion";
    }
  }

  /** Makes the target the leader in the route and {@code __dn_table}. */
  record UpdateMetadataUpgrade() implements MigrationState {
    public String name() {
      return "UpdateMetadata";
    }
  }

  /** Clears the downgrading mark: the old leader leads again. */
  record UpdateMetadataRollback() implements MigrationState {
    public String name() {
      return "UpdateMetadata";
    }
  }

  /** Closes the region on the old leader. */
  record CloseDowngradedRegion() implements MigrationState {
    public String name() {
      return "CloseDowngradedRegion";
    }
  }

  /** Finished. */
  record End() implements MigrationState {
    public String name() {
      return "RegionMigrationEnd";
    }
  }

  /** Gave up; the procedure fails with {@code reason}. */
  record Abort(String reason) implements MigrationState {
    public String name() {
      return "RegionMigrationAbort";
    }
  }
}
