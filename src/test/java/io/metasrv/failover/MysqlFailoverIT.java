package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.testing.SqlServers;
import java.util.List;

class MysqlFailoverIT extends SqlFailoverIT {
  /** The nodes log in as this user of their own, so that the test can end exactly their sessions. */
  private static final String USER = "metasrv_failover_it";

  @Override
  protected RdsEndpoint database() {
    RdsEndpoint root = SqlServers.mysql();
    SqlServers.execute(root, "CREATE USER IF NOT EXISTS '" + USER + "'@'%'",
        "GRANT ALL ON `" + root.database() + "`.* TO '" + USER + "'@'%'");
    return root;
  }

  @Override
  protected String storeConfig() {
    return "backend = \"mysql_store\"\n"
        + "store_addrs = [\"" + SqlServers.MYSQL_ADDRESS.replace("root@", USER + "@") + "\"]\n";
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
  protected void endEverySessionOfTheNodes() {
    List<Long> sessions = SqlServers.queryLongs(database,
        "SELECT id FROM information_schema.processlist WHERE user = '" + USER + "'");
    assertThat(sessions).as("sessions of the nodes").hasSizeGreaterThanOrEqualTo(3);
    SqlServers.execute(database, sessions.stream().map(id -> "KILL " + id)
        .toArray(String[]::new));
  }

  @Override
  protected boolean tableHolds(String key) {
    return SqlServers.queryLong(database, "SELECT count(*) FROM `" + table()
        + "` WHERE k = '" + key + "'") == 1;
  }
}
