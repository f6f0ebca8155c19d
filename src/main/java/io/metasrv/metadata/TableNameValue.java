package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The value of {@code __table_name/{catalog}/{schema}/{table}}: {@code {"table_id":u32}}. */
public record TableNameValue(@JsonProperty(value = "table_id", required = true) long tableId) {

  public static TableNameValue decode(byte[] json) {
    return SerdeJson.read(json, TableNameValue.class, "TableNameValue");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }
}
