package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.rds.MysqlKv;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.testing.SqlServers;
import org.junit.jupiter.api.Test;

class MysqlKvTest extends KvBackendContractTest {
  private static final String TABLE = "kv_contract_mysql";
  private RdsEndpoint mysql;

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    mysql = SqlServers.mysql();
    SqlServers.dropTable(mysql, TABLE);
    return MysqlKv.connect(RdsKvConfig.of(mysql, TABLE).withPoolSize(4), limits);
  }

  @Test
  void likeWildcardsInKeysAreOrdinaryBytes() {
    putAll("a%", "a%b", "ab", "a_", "a_c", "axc", "b");
    assertThat(keys(kv.range(RangeRequest.prefix(utf8("a%"))))).containsExactly("a%", "a%b");
    assertThat(keys(kv.range(RangeRequest.prefix(utf8("a_"))))).containsExactly("a_", "a_c");
    assertThat(kv.deleteRange(RangeRequest.prefix(utf8("a_")), false).deleted()).isEqualTo(2);
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("a%", "a%b", "ab", "axc", "b");
  }
}
