package io.metasrv.testing;

import io.grpc.Metadata;
import io.grpc.Status;

/**
 * What a simulated datanode's region service does instead of carrying out a request, for fault
 * tests: answer gRPC UNAVAILABLE (a datanode going down), never answer (a hung datanode; the
 * caller's deadline ends the call), or fail with a GreptimeDB status code encoded as GreptimeDB
 * encodes errors ({@link #error}).
 */
public sealed interface RegionFault {
  Metadata.Key<String> GREPTIME_ERROR_CODE =
      Metadata.Key.of("x-greptime-err-code", Metadata.ASCII_STRING_MARSHALLER);

  /** Answers UNAVAILABLE without a status code, as a connection the datanode drops. */
  static RegionFault unavailable() {
    return new Error(Status.Code.UNAVAILABLE, 0, "datanode is shutting down");
  }

  /** Receives the request and never answers it. */
  static RegionFault hang() {
    return Hang.INSTANCE;
  }

  /**
   * Fails with GreptimeDB status code {@code statusCode}: the gRPC code GreptimeDB derives from
   * it ({@link #grpcCode}), {@code message}, and {@code x-greptime-err-code} (GreptimeDB's {@code
   * define_into_tonic_status!}).
   */
  static RegionFault error(int statusCode, String message) {
    return new Error(grpcCode(statusCode), statusCode, message);
  }

  /** Never answered. */
  enum Hang implements RegionFault {
    INSTANCE
  }

  /** A gRPC error; {@code statusCode} 0 sends no {@code x-greptime-err-code}. */
  record Error(Status.Code grpcCode, int statusCode, String message) implements RegionFault {

    public Status status() {
      return Status.fromCode(grpcCode).withDescription(message);
    }

    public Metadata trailers() {
      Metadata trailers = new Metadata();
      if (statusCode != 0) {
        trailers.put(GREPTIME_ERROR_CODE, Integer.toString(statusCode));
      }
      return trailers;
    }
  }

  /**
   * GreptimeDB's {@code status_to_tonic_code} (d701c18150 {@code
   * src/common/error/src/status_code.rs}).
   */
  static Status.Code grpcCode(int statusCode) {
    return switch (statusCode) {
      case 0 -> Status.Code.OK;
      case 4000, 4003, 4006, 4011, 8000 -> Status.Code.ALREADY_EXISTS;
      case 4001, 4002, 4004, 4005, 7000, 8001 -> Status.Code.NOT_FOUND;
      case 1001 -> Status.Code.UNIMPLEMENTED;
      case 1004, 2000, 5001 -> Status.Code.INVALID_ARGUMENT;
      case 4008, 4010, 5000 -> Status.Code.UNAVAILABLE;
      case 4009, 6000, 6001 -> Status.Code.RESOURCE_EXHAUSTED;
      case 4007, 7005, 7006 -> Status.Code.PERMISSION_DENIED;
      case 7001, 7002, 7003, 7004 -> Status.Code.UNAUTHENTICATED;
      case 1005 -> Status.Code.CANCELLED;
      case 1000, 1007 -> Status.Code.UNKNOWN;
      default -> Status.Code.INTERNAL;
    };
  }
}
