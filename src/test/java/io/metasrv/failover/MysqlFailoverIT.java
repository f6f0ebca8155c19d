package io.metasrv.failover;

import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.testing.SqlServers;

class MysqlFailoverIT extends SqlFailoverIT {

  @Override
  protected RdsEndpoint database() {
    return SqlServers.mysql();
  }

  @Override
  protected String storeConfig() {
    return "backend = \"mysql_store\"\n"
        + "store_addrs = [\"" + SqlServers.MYSQL_ADDRESS + "\"]\n";
  }

  @Override
  protected String table() {
    return "failover_it_mysql";
  }

  @Override
  protected void killLockHolderSession() {
    long holder = SqlServers.queryLong(database,
        "SELECT IS_USED_LOCK('metasrv-election-" + table() + "-1')");
    SqlServers.execute(database, "KILL " + holder);
  }

  @Override
  protected boolean tableHolds(String key) {
    return SqlServers.queryLong(database, "SELECT count(*) FROM `" + table()
        + "` WHERE k = '" + key + "'") == 1;
  }
}
