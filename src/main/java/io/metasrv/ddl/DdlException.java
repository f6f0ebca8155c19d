package io.metasrv.ddl;

/**
 * A DDL task refused or failed, with the GreptimeDB status code ({@code
 * common_error::status_code::StatusCode}) the frontend gets in {@code x-greptime-err-code}: the
 * frontend shows the message and reacts to the code (it retries nothing but UNAVAILABLE and
 * DEADLINE_EXCEEDED, which a DDL failure never is).
 */
public final class DdlException extends RuntimeException {
  public static final int UNSUPPORTED = 1001;
  public static final int UNEXPECTED = 1002;
  public static final int INTERNAL = 1003;
  public static final int INVALID_ARGUMENTS = 1004;
  public static final int TABLE_ALREADY_EXISTS = 4000;
  public static final int TABLE_NOT_FOUND = 4001;
  public static final int TABLE_COLUMN_NOT_FOUND = 4002;
  public static final int TABLE_COLUMN_EXISTS = 4003;
  public static final int DATABASE_NOT_FOUND = 4004;
  public static final int DATABASE_ALREADY_EXISTS = 4011;

  private final int statusCode;

  public DdlException(int statusCode, String message) {
    super(message);
    this.statusCode = statusCode;
  }

  public DdlException(int statusCode, String message, Throwable cause) {
    super(message, cause);
    this.statusCode = statusCode;
  }

  /** The GreptimeDB status code. */
  public int statusCode() {
    return statusCode;
  }

  static DdlException invalidArguments(String message) {
    return new DdlException(INVALID_ARGUMENTS, message);
  }

  static DdlException unsupported(String message) {
    return new DdlException(UNSUPPORTED, message);
  }

  /** GreptimeDB's {@code TableAlreadyExists}. */
  static DdlException tableAlreadyExists(String catalog, String schema, String table) {
    return new DdlException(TABLE_ALREADY_EXISTS,
        "Table already exists: `" + catalog + "." + schema + "." + table + "`");
  }

  /** GreptimeDB's {@code TableNotFound}. */
  static DdlException tableNotFound(String catalog, String schema, String table) {
    return new DdlException(TABLE_NOT_FOUND,
        "Table not found: `" + catalog + "." + schema + "." + table + "`");
  }

  /** GreptimeDB's {@code ColumnNotExists} of its table crate: TableColumnNotFound. */
  static DdlException columnNotFound(String column, String table) {
    return new DdlException(TABLE_COLUMN_NOT_FOUND,
        "Column " + column + " not exists in table " + table);
  }

  /** GreptimeDB's {@code ColumnExists} of its table crate: TableColumnExists. */
  static DdlException columnExists(String column, String table) {
    return new DdlException(TABLE_COLUMN_EXISTS,
        "Column " + column + " already exists in table " + table);
  }

  /** GreptimeDB's {@code InvalidAlterRequest}: InvalidArguments. */
  static DdlException invalidAlter(String table, String reason) {
    return invalidArguments("Invalid alter table(" + table + ") request: " + reason);
  }

  /** GreptimeDB's {@code SchemaNotFound}. */
  static DdlException databaseNotFound(String catalog, String schema) {
    return new DdlException(DATABASE_NOT_FOUND, "Schema `" + catalog + "." + schema
        + "` not found");
  }

  /** GreptimeDB's {@code SchemaAlreadyExists}. */
  static DdlException databaseAlreadyExists(String catalog, String schema) {
    return new DdlException(DATABASE_ALREADY_EXISTS, "Schema `" + catalog + "." + schema
        + "` already exists");
  }
}
