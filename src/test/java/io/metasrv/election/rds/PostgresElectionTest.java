package io.metasrv.election.rds;

import io.metasrv.election.postgres.PostgresElectionSql;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.rds.PostgresKv;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.testing.SqlServers;

class PostgresElectionTest extends RdsElectionContractTest {

  @Override
  protected RdsEndpoint database() {
    return SqlServers.postgres();
  }

  @Override
  protected void createTable(RdsKvConfig config, KvLimits limits) {
    PostgresKv.connect(config.withPoolSize(1), limits).close();
  }

  @Override
  protected ElectionSql electionSql(String table) {
    return new PostgresElectionSql(table, 7_316_001L);
  }

  @Override
  protected String table() {
    return "election_contract_postgres";
  }

  @Override
  protected void killLockHolderSession(RdsEndpoint database) {
    SqlServers.execute(database, "SELECT pg_terminate_backend(pid) FROM pg_locks"
        + " WHERE locktype = 'advisory' AND objid = 7316001 AND granted");
  }
}
