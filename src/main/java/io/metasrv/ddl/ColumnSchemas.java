package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDataTypeExtension;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.SemanticType;
import java.util.Set;

/**
 * The column schemas of a {@code RawTableInfo} ({@code meta.schema.column_schemas[]}) as
 * GreptimeDB writes them: a gRPC {@code ColumnDef} turned into one ({@code try_as_column_schema} of
 * {@code api/src/v1/column_def.rs}), a {@code ColumnDataType} into its {@code ConcreteDataType}
 * JSON ({@code api/src/helper.rs}), and whether a column's values convert to another type.
 */
final class ColumnSchemas {
  static final String TIME_INDEX_KEY = "greptime:time_index";
  static final String COMMENT_KEY = "greptime:storage:comment";
  static final String FULLTEXT_KEY = "greptime:fulltext";
  static final String INVERTED_INDEX_KEY = "greptime:inverted_index";
  static final String SKIPPING_INDEX_KEY = "greptime:skipping_index";

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  /** The data types stored as Arrow primitives or strings, which Arrow casts among freely. */
  private static final Set<String> SCALAR_TYPES = Set.of("Boolean", "Int8", "Int16", "Int32",
      "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "String", "Date",
      "Timestamp", "Time", "Decimal128");

  private ColumnSchemas() {}

  /**
   * The column schema of a column definition: name, data type, nullability, time index (semantic
   * type TIMESTAMP, which also sets metadata {@code greptime:time_index}), the default constraint
   * (its JSON bytes, or null), and metadata from the comment and the {@code fulltext}, {@code
   * inverted_index} and {@code skipping_index} column options.
   *
   * @throws DdlException InvalidArguments when the default constraint is not JSON
   */
  static ObjectNode of(ColumnDef column) {
    ObjectNode schema = JSON.objectNode();
    schema.put("name", column.getName());
    schema.set("data_type", dataType(column.getDataType(), column.getDatatypeExtension()));
    schema.put("is_nullable", column.getIsNullable());
    boolean timeIndex = column.getSemanticType() == SemanticType.TIMESTAMP;
    schema.put("is_time_index", timeIndex);
    if (column.getDefaultConstraint().isEmpty()) {
      schema.putNull("default_constraint");
    } else {
      try {
        schema.set("default_constraint",
            SerdeJson.readTree(column.getDefaultConstraint().toByteArray(), "default constraint"));
      } catch (InvalidMetadataException e) {
        throw DdlException.invalidArguments("Invalid column proto definition, column: "
            + column.getName() + ": the default constraint is not JSON");
      }
    }
    ObjectNode metadata = schema.putObject("metadata");
    if (!column.getComment().isEmpty()) {
      metadata.put(COMMENT_KEY, column.getComment());
    }
    var options = column.getOptions().getOptionsMap();
    putIfPresent(metadata, FULLTEXT_KEY, options.get("fulltext"));
    putIfPresent(metadata, INVERTED_INDEX_KEY, options.get("inverted_index"));
    putIfPresent(metadata, SKIPPING_INDEX_KEY, options.get("skipping_index"));
    if (timeIndex) {
      metadata.put(TIME_INDEX_KEY, "true");
    }
    return schema;
  }

  /**
   * The {@code ConcreteDataType} JSON of a gRPC column type: unit types as {@code {"String":null}},
   * primitives as {@code {"Int64":{}}}, DATETIME as microsecond timestamps, BINARY with a JSON
   * extension as Json, DECIMAL128 and VECTOR with the extension's parameters or GreptimeDB's
   * defaults (precision 38, scale 10; dimension 0).
   *
   * @throws DdlException InvalidArguments for a type number GreptimeDB does not know
   */
  static JsonNode dataType(ColumnDataType type, ColumnDataTypeExtension extension) {
    return switch (type) {
      case BOOLEAN -> unit("Boolean");
      case INT8 -> primitive("Int8");
      case INT16 -> primitive("Int16");
      case INT32 -> primitive("Int32");
      case INT64 -> primitive("Int64");
      case UINT8 -> primitive("UInt8");
      case UINT16 -> primitive("UInt16");
      case UINT32 -> primitive("UInt32");
      case UINT64 -> primitive("UInt64");
      case FLOAT32 -> primitive("Float32");
      case FLOAT64 -> primitive("Float64");
      case BINARY -> extension.hasJsonType() ? json() : unit("Binary");
      case JSON -> json();
      case STRING -> unit("String");
      case DATE -> unit("Date");
      case DATETIME, TIMESTAMP_MICROSECOND -> withUnit("Timestamp", "Microsecond");
      case TIMESTAMP_SECOND -> withUnit("Timestamp", "Second");
      case TIMESTAMP_MILLISECOND -> withUnit("Timestamp", "Millisecond");
      case TIMESTAMP_NANOSECOND -> withUnit("Timestamp", "Nanosecond");
      case TIME_SECOND -> withUnit("Time", "Second");
      case TIME_MILLISECOND -> withUnit("Time", "Millisecond");
      case TIME_MICROSECOND -> withUnit("Time", "Microsecond");
      case TIME_NANOSECOND -> withUnit("Time", "Nanosecond");
      case INTERVAL_YEAR_MONTH -> withUnit("Interval", "YearMonth");
      case INTERVAL_DAY_TIME -> withUnit("Interval", "DayTime");
      case INTERVAL_MONTH_DAY_NANO -> withUnit("Interval", "MonthDayNano");
      case DECIMAL128 -> {
        ObjectNode decimal = JSON.objectNode();
        boolean given = extension.hasDecimalType();
        decimal.put("precision", given ? extension.getDecimalType().getPrecision() : 38);
        decimal.put("scale", given ? extension.getDecimalType().getScale() : 10);
        yield JSON.objectNode().set("Decimal128", decimal);
      }
      case VECTOR -> {
        ObjectNode vector = JSON.objectNode();
        vector.put("dim", extension.hasVectorType()
            ? Integer.toUnsignedLong(extension.getVectorType().getDim()) : 0);
        yield JSON.objectNode().set("Vector", vector);
      }
      case UNRECOGNIZED -> throw DdlException.invalidArguments(
          "Unknown proto column datatype: " + type);
    };
  }

  /**
   * Whether a column of type {@code from} converts to {@code to} on the datanode (GreptimeDB asks
   * Arrow's {@code can_cast_types}): the same type, any two of the booleans, numbers, strings,
   * dates, times and timestamps, and binary to or from string. This is the part of Arrow's rules
   * GreptimeDB's column types reach; intervals, JSON and vectors change to nothing else.
   */
  static boolean castable(JsonNode from, JsonNode to) {
    if (from.equals(to)) {
      return true;
    }
    String source = typeName(from);
    String target = typeName(to);
    if (SCALAR_TYPES.contains(source) && SCALAR_TYPES.contains(target)) {
      return true;
    }
    return source.equals("Binary") && target.equals("String")
        || source.equals("String") && target.equals("Binary");
  }

  /** The type's name: the JSON object's only key ({@code Int64}, {@code Timestamp}, ...). */
  static String typeName(JsonNode dataType) {
    return dataType.fieldNames().hasNext() ? dataType.fieldNames().next() : dataType.asText();
  }

  private static void putIfPresent(ObjectNode metadata, String key, String value) {
    if (value != null) {
      metadata.put(key, value);
    }
  }

  private static JsonNode unit(String name) {
    return JSON.objectNode().putNull(name);
  }

  private static JsonNode primitive(String name) {
    ObjectNode type = JSON.objectNode();
    type.putObject(name);
    return type;
  }

  private static JsonNode withUnit(String name, String unit) {
    ObjectNode type = JSON.objectNode();
    type.putObject(name).putNull(unit);
    return type;
  }

  private static JsonNode json() {
    ObjectNode type = JSON.objectNode();
    type.putObject("Json").put("format", "Jsonb");
    return type;
  }
}
