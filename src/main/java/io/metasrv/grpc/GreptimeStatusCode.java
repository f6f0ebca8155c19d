package io.metasrv.grpc;

/**
 * The GreptimeDB status codes ({@code common_error::status_code::StatusCode}) this server sends
 * in the {@code x-greptime-err-code} trailer of a failed call. GreptimeDB's meta client reads
 * the code from there and falls back to {@code Internal} without it.
 */
enum GreptimeStatusCode {
  UNSUPPORTED(1001),
  UNEXPECTED(1002),
  INTERNAL(1003),
  INVALID_ARGUMENTS(1004),
  ILLEGAL_STATE(1006),
  TABLE_NOT_FOUND(4001),
  REGION_NOT_FOUND(4005),
  STORAGE_UNAVAILABLE(5000);

  final int code;

  GreptimeStatusCode(int code) {
    this.code = code;
  }
}
