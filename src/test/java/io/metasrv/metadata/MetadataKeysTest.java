package io.metasrv.metadata;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.protocol.Role;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The key layout of GreptimeDB's {@code key.rs} and {@code key/*.rs}, with upstream's cases. */
class MetadataKeysTest {

  @Test
  void keysPrintAsGreptimeDbPrintsThem() {
    assertThat(utf8(new TableRouteKey(1024).toBytes())).isEqualTo("__table_route/1024");
    assertThat(utf8(new TableInfoKey(42).toBytes())).isEqualTo("__table_info/42");
    assertThat(utf8(new DatanodeTableKey(1, 2).toBytes())).isEqualTo("__dn_table/1/2");
    assertThat(utf8(NodeAddressKey.datanode(7).toBytes())).isEqualTo("__node_address/0/7");
    assertThat(utf8(NodeAddressKey.flownode(3).toBytes())).isEqualTo("__node_address/2/3");
    assertThat(utf8(new TableNameKey("my_catalog", "my_schema", "my_table").toBytes()))
        .isEqualTo("__table_name/my_catalog/my_schema/my_table");
    assertThat(utf8(new CatalogNameKey("my-catalog").toBytes()))
        .isEqualTo("__catalog_name/my-catalog");
    assertThat(utf8(new SchemaNameKey("my-catalog", "my-schema").toBytes()))
        .isEqualTo("__schema_name/my-catalog/my-schema");
    assertThat(utf8(MaintenanceMode.keyBytes())).isEqualTo("__maintenance");
    assertThat(utf8(new TopicNameKey("greptimedb_wal_topic_7").toBytes()))
        .isEqualTo("__topic_name/kafka/greptimedb_wal_topic_7");
  }

  @Test
  void prefixesForScans() {
    assertThat(utf8(DatanodeTableKey.prefix(11))).isEqualTo("__dn_table/11/");
    assertThat(utf8(TableNameKey.prefix("greptime", "public")))
        .isEqualTo("__table_name/greptime/public/");
    assertThat(utf8(SchemaNameKey.prefix("greptime"))).isEqualTo("__schema_name/greptime/");
    assertThat(utf8(TableRouteKey.rangePrefix())).isEqualTo("__table_route/");
    assertThat(utf8(NodeAddressKey.rangePrefix())).isEqualTo("__node_address/");
    assertThat(utf8(TopicNameKey.rangePrefix())).isEqualTo("__topic_name/kafka/");
  }

  @Test
  void keysParseBack() {
    assertThat(TableRouteKey.parse(utf8("__table_route/1024"))).isEqualTo(new TableRouteKey(1024));
    assertThat(TableInfoKey.parse(utf8("__table_info/42"))).isEqualTo(new TableInfoKey(42));
    assertThat(DatanodeTableKey.parse(utf8("__dn_table/11/21")))
        .isEqualTo(new DatanodeTableKey(11, 21));
    assertThat(NodeAddressKey.parse(utf8("__node_address/2/3")))
        .isEqualTo(new NodeAddressKey(Role.FLOWNODE, 3));
    assertThat(CatalogNameKey.parse(utf8("__catalog_name/my-catalog")))
        .isEqualTo(new CatalogNameKey("my-catalog"));
    assertThat(SchemaNameKey.parse(utf8("__schema_name/my-catalog/my-schema")))
        .isEqualTo(new SchemaNameKey("my-catalog", "my-schema"));
    assertThat(TopicNameKey.parse(utf8("__topic_name/kafka/greptimedb_wal_topic_7")))
        .isEqualTo(new TopicNameKey("greptimedb_wal_topic_7"));
    for (String table : List.of("my_table", "my:table", "my-table", "my_table@1", "my.table#2")) {
      assertThat(TableNameKey.parse(utf8("__table_name/my_catalog/my_schema/" + table)))
          .isEqualTo(new TableNameKey("my_catalog", "my_schema", table));
    }
    long bigNode = Long.parseUnsignedLong("18446744073709551615");
    assertThat(utf8(new DatanodeTableKey(bigNode, 1).toBytes()))
        .isEqualTo("__dn_table/18446744073709551615/1");
    assertThat(DatanodeTableKey.parse(utf8("__dn_table/18446744073709551615/1")).datanodeId())
        .isEqualTo(bigNode);
  }

  /**
   * upstream {@code datanode_table.rs test_deserialization}, {@code table_name.rs
   * test_strip_table_name}.
   */
  @Test
  void malformedKeysAreRefused() {
    refused(TopicNameKey::parse, "__topic_name/greptimedb_wal_topic_7");
    refused(DatanodeTableKey::parse, "");
    refused(DatanodeTableKey::parse, new byte[] {0, (byte) 159, (byte) 146, (byte) 150});
    refused(DatanodeTableKey::parse, "invalid_prefix/1/2");
    refused(DatanodeTableKey::parse, "__dn_table/");
    refused(DatanodeTableKey::parse, "__dn_table/invalid_len_1");
    refused(DatanodeTableKey::parse, "__dn_table/invalid_len_3/1/2");
    refused(DatanodeTableKey::parse, "__dn_table/invalid_node_id/2");
    refused(DatanodeTableKey::parse, "__dn_table/1/invalid_table_id");
    refused(DatanodeTableKey::parse, "__dn_table/1/4294967296");
    refused(TableNameKey::parse, "invalid_prefix/my_catalog/my_schema/my_table");
    refused(TableNameKey::parse, "__table_name/");
    refused(TableNameKey::parse, "__table_name/invalid_len_1");
    refused(TableNameKey::parse, "__table_name/invalid_len_2/x");
    refused(TableNameKey::parse, "__table_name/invalid_len_4/x/y/z");
    refused(TableNameKey::parse, "__table_name/000_invalid_catalog/y/z");
    refused(TableNameKey::parse, "__table_name/x/000_invalid_schema/z");
    refused(TableNameKey::parse, "__table_name/x/y/000_invalid_table");
    refused(TableRouteKey::parse, "__table_route/-1");
    refused(TableRouteKey::parse, "__table_route/1/");
    refused(NodeAddressKey::parse, "__node_address/3/1");
    refused(NodeAddressKey::parse, "__node_address/99/1");
    refused(CatalogNameKey::parse, "__catalog_name/a/b");
    refused(SchemaNameKey::parse, "__schema_name/a");
  }

  private static void refused(Function<byte[], ?> parser, String key) {
    refused(parser, utf8(key));
  }

  private static void refused(Function<byte[], ?> parser, byte[] key) {
    assertThatThrownBy(() -> parser.apply(key))
        .as(utf8(key))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @Test
  void regionIdsSplitAndDisplayAsGreptimeDb() {
    long id = RegionId.of(1024, 1);

    assertThat(id).isEqualTo(4398046511105L);
    assertThat(RegionId.tableId(id)).isEqualTo(1024);
    assertThat(RegionId.regionNumber(id)).isEqualTo(1);
    assertThat(RegionId.display(id)).isEqualTo("4398046511105(1024, 1)");
    long highGroup = RegionId.of(4294967295L, (255L << 24) | 1);
    assertThat(RegionId.tableId(highGroup)).isEqualTo(4294967295L);
    assertThat(RegionId.regionNumber(highGroup)).isEqualTo((255L << 24) | 1);
    assertThat(RegionId.display(highGroup))
        .isEqualTo("18446744073692774401(4294967295, 4278190081)");
  }
}
