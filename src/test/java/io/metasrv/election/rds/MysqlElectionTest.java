package io.metasrv.election.rds;

import io.metasrv.election.mysql.MysqlElectionSql;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.rds.MysqlKv;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.testing.SqlServers;

class MysqlElectionTest extends RdsElectionContractTest {

  @Override
  protected RdsEndpoint database() {
    return SqlServers.mysql();
  }

  @Override
  protected void createTable(RdsKvConfig config, KvLimits limits) {
    MysqlKv.connect(config.withPoolSize(1), limits).close();
  }

  @Override
  protected ElectionSql electionSql(String table) {
    return new MysqlElectionSql(table, 1);
  }

  @Override
  protected String table() {
    return "election_contract_mysql";
  }

  @Override
  protected void killLockHolderSession(RdsEndpoint database) {
    long holder = SqlServers.queryLong(database,
        "SELECT IS_USED_LOCK('metasrv-election-" + table() + "-1')");
    SqlServers.execute(database, "KILL " + holder);
  }
}
