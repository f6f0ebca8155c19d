package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDataTypeExtension;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.ColumnOptions;
import io.metasrv.protocol.v1.DecimalTypeExtension;
import io.metasrv.protocol.v1.JsonTypeExtension;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.protocol.v1.VectorTypeExtension;
import org.junit.jupiter.api.Test;

/** gRPC column definitions as RawTableInfo column schemas, GreptimeDB's JSON (reference §4.1). */
class ColumnSchemasTest {
  private static final ColumnDataTypeExtension NONE = ColumnDataTypeExtension.getDefaultInstance();

  private static String type(ColumnDataType type, ColumnDataTypeExtension extension) {
    return ColumnSchemas.dataType(type, extension).toString();
  }

  @Test
  void dataTypesAreGreptimeDbsConcreteDataTypeJson() {
    assertThat(type(ColumnDataType.STRING, NONE)).isEqualTo("{\"String\":null}");
    assertThat(type(ColumnDataType.UINT32, NONE)).isEqualTo("{\"UInt32\":{}}");
    assertThat(type(ColumnDataType.DATETIME, NONE))
        .isEqualTo("{\"Timestamp\":{\"Microsecond\":null}}");
    assertThat(type(ColumnDataType.TIME_NANOSECOND, NONE))
        .isEqualTo("{\"Time\":{\"Nanosecond\":null}}");
    assertThat(type(ColumnDataType.INTERVAL_MONTH_DAY_NANO, NONE))
        .isEqualTo("{\"Interval\":{\"MonthDayNano\":null}}");
    assertThat(type(ColumnDataType.DECIMAL128, NONE))
        .isEqualTo("{\"Decimal128\":{\"precision\":38,\"scale\":10}}");
    assertThat(type(ColumnDataType.DECIMAL128, ColumnDataTypeExtension.newBuilder()
        .setDecimalType(DecimalTypeExtension.newBuilder().setPrecision(10).setScale(2)).build()))
        .isEqualTo("{\"Decimal128\":{\"precision\":10,\"scale\":2}}");
    assertThat(type(ColumnDataType.BINARY, NONE)).isEqualTo("{\"Binary\":null}");
    assertThat(type(ColumnDataType.BINARY, ColumnDataTypeExtension.newBuilder()
        .setJsonType(JsonTypeExtension.JSON_BINARY).build()))
        .isEqualTo("{\"Json\":{\"format\":\"Jsonb\"}}");
    assertThat(type(ColumnDataType.VECTOR, ColumnDataTypeExtension.newBuilder()
        .setVectorType(VectorTypeExtension.newBuilder().setDim(3)).build()))
        .isEqualTo("{\"Vector\":{\"dim\":3}}");
  }

  @Test
  void aColumnDefCarriesItsDefaultCommentIndexOptionsAndTimeIndex() {
    ColumnDef ts = ColumnDef.newBuilder().setName("ts")
        .setDataType(ColumnDataType.TIMESTAMP_SECOND).setSemanticType(SemanticType.TIMESTAMP)
        .setDefaultConstraint(ByteString.copyFromUtf8("{\"Function\":\"current_timestamp()\"}"))
        .build();
    assertThat(ColumnSchemas.of(ts).toString()).isEqualTo("{\"name\":\"ts\",\"data_type\":"
        + "{\"Timestamp\":{\"Second\":null}},\"is_nullable\":false,\"is_time_index\":true,"
        + "\"default_constraint\":{\"Function\":\"current_timestamp()\"},"
        + "\"metadata\":{\"greptime:time_index\":\"true\"}}");

    ColumnDef message = ColumnDef.newBuilder().setName("message")
        .setDataType(ColumnDataType.STRING).setIsNullable(true).setComment("log line")
        .setOptions(ColumnOptions.newBuilder().putOptions("fulltext", "{\"enable\":true}")
            .putOptions("inverted_index", "true"))
        .build();
    assertThat(ColumnSchemas.of(message).path("metadata").toString()).isEqualTo(
        "{\"greptime:storage:comment\":\"log line\",\"greptime:fulltext\":\"{\\\"enable\\\":true}\","
            + "\"greptime:inverted_index\":\"true\"}");
  }

  @Test
  void numbersStringsAndTimesConvertAmongThemselvesButNotToVectorsOrJson() {
    var float64 = ColumnSchemas.dataType(ColumnDataType.FLOAT64, NONE);
    assertThat(ColumnSchemas.castable(float64,
        ColumnSchemas.dataType(ColumnDataType.STRING, NONE))).isTrue();
    assertThat(ColumnSchemas.castable(ColumnSchemas.dataType(ColumnDataType.STRING, NONE),
        ColumnSchemas.dataType(ColumnDataType.TIMESTAMP_MILLISECOND, NONE))).isTrue();
    assertThat(ColumnSchemas.castable(float64,
        ColumnSchemas.dataType(ColumnDataType.JSON, NONE))).isFalse();
    assertThat(ColumnSchemas.castable(ColumnSchemas.dataType(ColumnDataType.INT64, NONE),
        ColumnSchemas.dataType(ColumnDataType.BINARY, NONE))).isFalse();
  }
}
