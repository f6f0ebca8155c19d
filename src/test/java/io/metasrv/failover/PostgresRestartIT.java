package io.metasrv.failover;

import io.metasrv.testing.PrivatePostgres;
import io.metasrv.testing.PrivateSqlServer;

class PostgresRestartIT extends SqlRestartIT {
  @Override
  protected PrivateSqlServer startServer() {
    return PrivatePostgres.create();
  }

  @Override
  protected String storeConfig(String address) {
    return "backend = \"postgres_store\"\nstore_addrs = [\"" + address + "\"]\n";
  }

  @Override
  protected boolean tableHolds(PrivateSqlServer server, String table, String key) {
    return queryLong(server, "SELECT count(*) FROM \"" + table + "\" WHERE k = convert_to('"
        + key + "', 'UTF8')") == 1;
  }
}
