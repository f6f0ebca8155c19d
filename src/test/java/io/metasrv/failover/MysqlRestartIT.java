package io.metasrv.failover;

import io.metasrv.testing.PrivateMariadb;
import io.metasrv.testing.PrivateSqlServer;

class MysqlRestartIT extends SqlRestartIT {
  @Override
  protected PrivateSqlServer startServer() {
    return PrivateMariadb.create();
  }

  @Override
  protected String storeConfig(String address) {
    return "backend = \"mysql_store\"\nstore_addrs = [\"" + address + "\"]\n";
  }

  @Override
  protected boolean tableHolds(PrivateSqlServer server, String table, String key) {
    return queryLong(server, "SELECT count(*) FROM `" + table + "` WHERE k = '" + key + "'")
        == 1;
  }
}
