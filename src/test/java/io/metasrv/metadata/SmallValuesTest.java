package io.metasrv.metadata;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Node address, table name, catalog and schema values, and the raw bytes kept for updates. */
class SmallValuesTest {

  @Test
  void nodeAddressValue() {
    String json = "{\"peer\":{\"id\":1,\"addr\":\"10.0.0.1:4001\"}}";

    NodeAddressValue value = NodeAddressValue.decode(utf8(json));

    assertThat(value.peer()).isEqualTo(new Peer(1, "10.0.0.1:4001"));
    assertThat(utf8(value.encode())).isEqualTo(json);
    assertThatThrownBy(() -> NodeAddressValue.decode(utf8("{\"peer\":{\"id\":1}}")))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageContaining("addr");
    assertThatThrownBy(() -> NodeAddressValue.decode(utf8("{}")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  /** upstream {@code table_name.rs test_serialization}. */
  @Test
  void tableNameValue() {
    assertThat(utf8(new TableNameValue(1).encode())).isEqualTo("{\"table_id\":1}");
    assertThat(TableNameValue.decode(utf8("{\"table_id\":1024}")).tableId()).isEqualTo(1024);
    assertThatThrownBy(() -> TableNameValue.decode(utf8("{\"table_id\":1.0}")))
        .isInstanceOf(InvalidMetadataException.class);
    assertThatThrownBy(() -> TableNameValue.decode(utf8("{\"table_id\":\"1\"}")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @Test
  void catalogNameValueIsNull() {
    assertThat(utf8(CatalogNameValue.encode())).isEqualTo("null");
    CatalogNameValue.decode(utf8("null"));
    assertThatThrownBy(() -> CatalogNameValue.decode(utf8("{}")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  /** upstream {@code schema_name.rs test_serialization}. */
  @Test
  void schemaNameValue() {
    assertThat(utf8(SchemaNameValue.NO_TTL.encode())).isEqualTo("{\"ttl\":null}");
    assertThat(utf8(new SchemaNameValue("10s").encode())).isEqualTo("{\"ttl\":\"10s\"}");
    assertThat(SchemaNameValue.decode(utf8("{\"ttl\":\"10s\"}")).ttl()).isEqualTo("10s");
    assertThat(SchemaNameValue.decode(utf8("{\"ttl\":\"forever\"}")).ttl()).isEqualTo("forever");
    assertThat(SchemaNameValue.decode(utf8("{}"))).isEqualTo(SchemaNameValue.NO_TTL);
    assertThat(SchemaNameValue.decode(utf8("null"))).isEqualTo(SchemaNameValue.NO_TTL);
    assertThatThrownBy(() -> SchemaNameValue.decode(utf8("{\"ttl\":\"instant\"}")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @Test
  void valueWithBytesKeepsWhatWasReadForTheCompare() {
    byte[] stored = utf8("{\"table_id\":7, \"extra\":true}");

    ValueWithBytes<TableNameValue> read = ValueWithBytes.decode(stored, TableNameValue::decode);
    stored[0] = 'x';

    assertThat(read.value()).isEqualTo(new TableNameValue(7));
    assertThat(utf8(read.bytes())).isEqualTo("{\"table_id\":7, \"extra\":true}");
    assertThat(read.sameBytes(utf8("{\"table_id\":7, \"extra\":true}"))).isTrue();
    assertThat(read.sameBytes(read.value().encode())).isFalse();
  }

  @Test
  void stringsAreEscapedAsSerdeJsonEscapesThem() {
    Peer peer = new Peer(1, "q\"b\\s/\b\f\n\r\t\u0001\u001f\u007fé😀");

    assertThat(SerdeJson.writeString(peer))
        .isEqualTo("{\"id\":1,\"addr\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u007fé😀\"}");
  }
}
