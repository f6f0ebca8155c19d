package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.rds.PostgresKv;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.testing.SqlServers;
import org.junit.jupiter.api.Test;

class PostgresKvTest extends KvBackendContractTest {
  private static final String TABLE = "kv_contract_postgres";
  private RdsEndpoint postgres;

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    postgres = SqlServers.postgres();
    SqlServers.dropTable(postgres, TABLE);
    return PostgresKv.connect(RdsKvConfig.of(postgres, TABLE).withPoolSize(4), limits);
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
