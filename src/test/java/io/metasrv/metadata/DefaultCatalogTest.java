package io.metasrv.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.kv.rds.MysqlKv;
import io.metasrv.kv.rds.PostgresKv;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.SqlServers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The default catalog and schemas on every backend: GreptimeDB's bytes, created once, kept. */
class DefaultCatalogTest {
  private static final String TABLE = "default_catalog_test";

  static Stream<Arguments> backends() {
    Supplier<KvBackend> memory = MemoryKv::new;
    Supplier<KvBackend> etcd = () -> ChrootKv.wrap(
        Bytes.utf8("default-catalog-" + UUID.randomUUID() + "/"),
        EtcdKv.connect(EtcdKvConfig.of(EtcdProcess.shared().endpoint()), KvLimits.DEFAULT));
    Supplier<KvBackend> postgres = () -> {
      SqlServers.dropTable(SqlServers.postgres(), TABLE);
      return PostgresKv.connect(RdsKvConfig.of(SqlServers.postgres(), TABLE), KvLimits.DEFAULT);
    };
    Supplier<KvBackend> mysql = () -> {
      SqlServers.dropTable(SqlServers.mysql(), TABLE);
      return MysqlKv.connect(RdsKvConfig.of(SqlServers.mysql(), TABLE), KvLimits.DEFAULT);
    };
    return Stream.of(Arguments.of("memory", memory), Arguments.of("etcd", etcd),
        Arguments.of("postgres", postgres), Arguments.of("mysql", mysql));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void createsTheDefaultCatalogOnceAndNeverOverwrites(String name, Supplier<KvBackend> backend) {
    try (KvBackend kv = backend.get()) {
      assertThat(DefaultCatalog.ensure(kv)).hasSize(4);
      assertThat(stored(kv)).containsExactly(
          Map.entry("__catalog_name/greptime", "null"),
          Map.entry("__schema_name/greptime/greptime_private", "{\"ttl\":null}"),
          Map.entry("__schema_name/greptime/information_schema", "{\"ttl\":null}"),
          Map.entry("__schema_name/greptime/public", "{\"ttl\":null}"));

      kv.put(Bytes.utf8("__schema_name/greptime/public"), Bytes.utf8("{\"ttl\":\"7days\"}"));
      assertThat(DefaultCatalog.ensure(kv)).isEmpty();
      assertThat(stored(kv)).containsEntry("__schema_name/greptime/public",
          "{\"ttl\":\"7days\"}");

      kv.batchDelete(List.of(Bytes.utf8("__schema_name/greptime/information_schema")), false);
      assertThat(DefaultCatalog.ensure(kv))
          .containsExactly(new SchemaNameKey("greptime", "information_schema"));
    }
  }

  private static Map<String, String> stored(KvBackend kv) {
    Map<String, String> values = new LinkedHashMap<>();
    for (KeyValue entry : kv.range(RangeRequest.all()).kvs()) {
      values.put(Bytes.utf8(entry.key()), Bytes.utf8(entry.value()));
    }
    return values;
  }
}
