package io.metasrv.metadata;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** Table info kept as read, with typed access to what metasrv needs. */
class TableInfoValueTest {
  /**
   * upstream {@code table_info.rs test_deserialization_compatibility}, with a region and a float.
   */
  static final String TABLE_INFO =
      "{\"version\":1,\"table_info\":{\"ident\":{\"table_id\":8714,\"version\":0},"
          + "\"name\":\"go_gc_duration_seconds\",\"desc\":\"Created on insertion\","
          + "\"catalog_name\":\"e87lehzy63d4cloud_docs_test\",\"schema_name\":\"public\","
          + "\"meta\":{\"schema\":{\"column_schemas\":[{\"name\":\"greptime_value\","
          + "\"data_type\":{\"Float64\":{}},\"is_nullable\":true,\"is_time_index\":false,"
          + "\"default_constraint\":{\"Value\":{\"Float64\":1.50}},\"metadata\":{}}],"
          + "\"timestamp_index\":3,\"version\":0},\"primary_key_indices\":[0,1,2],"
          + "\"value_indices\":[],\"engine\":\"mito\",\"next_column_id\":5,"
          + "\"region_numbers\":[0,1],\"engine_options\":{},\"options\":{\"write_buffer_size\":null,"
          + "\"ttl\":null,\"extra_options\":{}},\"created_on\":\"1970-01-01T00:00:00Z\"},"
          + "\"table_type\":\"Base\"}}";

  @Test
  void typedFieldsAndTheExactBytesRead() {
    TableInfoValue value = TableInfoValue.decode(utf8(TABLE_INFO));

    assertThat(value.tableId()).isEqualTo(8714);
    assertThat(value.name()).isEqualTo("go_gc_duration_seconds");
    assertThat(value.catalogName()).isEqualTo("e87lehzy63d4cloud_docs_test");
    assertThat(value.schemaName()).isEqualTo("public");
    assertThat(value.engine()).isEqualTo("mito");
    assertThat(value.regionNumbers()).containsExactly(0L, 1L);
    assertThat(value.version()).isEqualTo(1);
    assertThat(value.regionStoragePath()).isEqualTo("e87lehzy63d4cloud_docs_test/public");
    assertThat(utf8(value.encode())).isEqualTo(TABLE_INFO);
  }

  @Test
  void updateWritesTableInfoThenTheNextVersionKeepingNumbersAsWritten() {
    TableInfoValue value = TableInfoValue.decode(utf8(TABLE_INFO));
    ObjectNode info = (ObjectNode) value.tableInfo();
    info.put("name", "renamed");

    TableInfoValue updated = value.update(info);

    String text = utf8(updated.encode());
    assertThat(text).startsWith("{\"table_info\":{\"ident\":{\"table_id\":8714,\"version\":0},");
    assertThat(text).endsWith(",\"table_type\":\"Base\"},\"version\":2}");
    assertThat(text).contains("{\"Float64\":1.50}");
    assertThat(updated.name()).isEqualTo("renamed");
    assertThat(value.name()).isEqualTo("go_gc_duration_seconds");
  }

  @Test
  void missingTypedFieldsAreRefused() {
    assertThatThrownBy(() -> TableInfoValue.decode(utf8("{\"version\":1}")))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageContaining("table_info");
    assertThatThrownBy(
            () -> TableInfoValue.decode(utf8(TABLE_INFO.replace("\"engine\":\"mito\",", ""))))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageContaining("table_info.meta.engine");
    assertThatThrownBy(
            () -> TableInfoValue.decode(utf8(TABLE_INFO.replace("{\"version\":1,", "{"))))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageContaining("version");
  }
}
