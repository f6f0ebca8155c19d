package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.testing.SqlServers;

class PostgresFailoverIT extends SqlFailoverIT {
  private static final long LOCK_ID = 7_316_002L;
  /** The nodes' sessions carry it, so that the test can end exactly theirs. */
  private static final String APPLICATION_NAME = "metasrv_failover_it";

  @Override
  protected RdsEndpoint database() {
    return SqlServers.postgres();
  }

  @Override
  protected String storeConfig() {
    return "backend = \"postgres_store\"\n"
        + "store_addrs = [\"" + SqlServers.POSTGRES_ADDRESS + "?application_name="
        + APPLICATION_NAME + "\"]\n"
        + "meta_election_lock_id = " + LOCK_ID + "\n";
  }

  @Override
  protected String table() {
    return "failover_it_postgres";
  }

  @Override
  protected void killLockHolderSession() {
    SqlServers.execute(database, "SELECT pg_terminate_backend(pid) FROM pg_locks"
        + " WHERE locktype = 'advisory' AND objid = " + LOCK_ID + " AND granted");
  }

  @Override
  protected void endEverySessionOfTheNodes() {
    long ended = SqlServers.queryLong(database, "SELECT count(pg_terminate_backend(pid))"
        + " FROM pg_stat_activity WHERE application_name = '" + APPLICATION_NAME + "'");
    assertThat(ended).as("sessions of the nodes ended").isGreaterThanOrEqualTo(3);
  }

  @Override
  protected boolean tableHolds(String key) {
    return SqlServers.queryLong(database, "SELECT count(*) FROM \"" + table()
        + "\" WHERE k = convert_to('" + key + "', 'UTF8')") == 1;
  }
}
