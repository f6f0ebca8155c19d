package io.metasrv.grpc;

import io.metasrv.ddl.DdlException;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.metasrv.ddl.DdlException;
import io.metasrv.election.ElectionException;
import io.metasrv.kv.InvalidKeyException;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.TxnTooLargeException;
import io.metasrv.kv.ValueTooLargeException;
import io.metasrv.procedure.ProcedureException;
import io.metasrv.procedure.migration.MigrationRefusedException;
import org.slf4j.Logger;

/**
 * The gRPC status, and the GreptimeDB status code trailer, that a failure is answered with.
 *
 * <table>
 *   <caption>mapping</caption>
 *   <tr><th>failure</th><th>gRPC</th><th>x-greptime-err-code</th></tr>
 *   <tr><td>unparsable body, missing header, bad argument, empty or duplicate key</td>
 *       <td>INVALID_ARGUMENT</td><td>1004 InvalidArguments</td></tr>
 *   <tr><td>{@link TxnTooLargeException}, {@link ValueTooLargeException}</td>
 *       <td>INVALID_ARGUMENT (retrying the same request cannot succeed)</td>
 *       <td>1004 InvalidArguments</td></tr>
 *   <tr><td>{@link KvUnavailableException}, {@link ElectionException}</td><td>UNAVAILABLE
 *       (GreptimeDB's clients retry it on another node)</td><td>5000 StorageUnavailable</td></tr>
 *   <tr><td>{@link NoLeaderException}</td><td>UNAVAILABLE</td><td>1006 IllegalState</td></tr>
 *   <tr><td>{@link UnsupportedOperationException}</td><td>UNIMPLEMENTED</td>
 *       <td>1001 Unsupported</td></tr>
 *   <tr><td>{@link DdlException}</td><td>by its status code, as GreptimeDB's {@code
 *       status_to_tonic_code} (see {@link #ddlStatus})</td><td>its status code</td></tr>
 *   <tr><td>{@link MigrationRefusedException}</td><td>by reason: INVALID_ARGUMENT (same peers,
 *       wrong source, no time), NOT_FOUND (table route 4001, region route 4005, table info 4001),
 *       INTERNAL (a migration running, an unavailable peer: 1002 Unexpected, as GreptimeDB)</td>
 *       <td>as GreptimeDB's error</td></tr>
 *   <tr><td>{@link ProcedureException}</td><td>not found: INVALID_ARGUMENT 1004 (GreptimeDB's
 *       {@code ProcedureNotFound}); manager not started: UNAVAILABLE 1006; paused:
 *       FAILED_PRECONDITION 1006; too many running: RESOURCE_EXHAUSTED 1003; duplicate:
 *       ALREADY_EXISTS 1004</td><td></td></tr>
 *   <tr><td>other {@link KvException}: the store refused it as too large or invalid</td>
 *       <td>INVALID_ARGUMENT</td><td>1004 InvalidArguments</td></tr>
 *   <tr><td>anything else</td><td>INTERNAL</td><td>1003 Internal</td></tr>
 * </table>
 */
final class FailureStatus {
  static final Metadata.Key<String> GREPTIME_ERROR_CODE =
      Metadata.Key.of("x-greptime-err-code", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * @param status what the client sees
   * @param code the GreptimeDB status code, also in the trailers
   * @param expected whether the failure is the request's or the environment's doing, not a bug
   */
  record Answer(Status status, Metadata trailers, int code, boolean expected) {

    /** Logs the failure of {@code method}: a refusal at debug, an unexpected failure as error. */
    void log(Logger log, String method, Throwable failure) {
      if (expected) {
        log.debug("{} refused: {} {}", method, status.getCode(), status.getDescription());
      } else {
        log.error("{} failed unexpectedly", method, failure);
      }
    }
  }

  private FailureStatus() {}

  static Answer of(Throwable failure) {
    if (failure instanceof StatusRuntimeException || failure instanceof StatusException) {
      Status status = Status.fromThrowable(failure);
      if (status.getCause() instanceof InvalidProtocolBufferException malformed) {
        // The request marshaller could not parse the body (grpc-java reports that as INTERNAL).
        return answer(Status.Code.INVALID_ARGUMENT, GreptimeStatusCode.INVALID_ARGUMENTS,
            "malformed request: " + malformed.getMessage(), failure, true);
      }
      Metadata trailers = Status.trailersFromThrowable(failure);
      return new Answer(status, trailers == null ? new Metadata() : trailers,
          GreptimeStatusCode.INTERNAL.code, true);
    }
    if (failure instanceof InvalidRequestException || failure instanceof InvalidKeyException
        || failure instanceof TxnTooLargeException || failure instanceof ValueTooLargeException
        || failure instanceof IllegalArgumentException) {
      return answer(Status.Code.INVALID_ARGUMENT, GreptimeStatusCode.INVALID_ARGUMENTS,
          failure.getMessage(), failure, true);
    }
    if (failure instanceof KvUnavailableException || failure instanceof ElectionException) {
      return answer(Status.Code.UNAVAILABLE, GreptimeStatusCode.STORAGE_UNAVAILABLE,
          failure.getMessage(), failure, true);
    }
    if (failure instanceof NoLeaderException) {
      return answer(Status.Code.UNAVAILABLE, GreptimeStatusCode.ILLEGAL_STATE,
          failure.getMessage(), failure, true);
    }
    if (failure instanceof UnsupportedOperationException) {
      return answer(Status.Code.UNIMPLEMENTED, GreptimeStatusCode.UNSUPPORTED,
          failure.getMessage(), failure, true);
    }
    if (failure instanceof DdlException refused) {
      return answer(ddlStatus(refused.statusCode()), refused.statusCode(), failure.getMessage(),
          failure, true);
    }
    if (failure instanceof MigrationRefusedException refused) {
      return switch (refused.reason()) {
        case INVALID_ARGUMENTS -> answer(Status.Code.INVALID_ARGUMENT,
            GreptimeStatusCode.INVALID_ARGUMENTS, failure.getMessage(), failure, true);
        case TABLE_ROUTE_NOT_FOUND, TABLE_INFO_NOT_FOUND -> answer(Status.Code.NOT_FOUND,
            GreptimeStatusCode.TABLE_NOT_FOUND, failure.getMessage(), failure, true);
        case REGION_ROUTE_NOT_FOUND -> answer(Status.Code.NOT_FOUND,
            GreptimeStatusCode.REGION_NOT_FOUND, failure.getMessage(), failure, true);
        case MIGRATION_RUNNING, PEER_UNAVAILABLE, UNEXPECTED -> answer(Status.Code.INTERNAL,
            GreptimeStatusCode.UNEXPECTED, failure.getMessage(), failure, true);
      };
    }
    if (failure instanceof ProcedureException refused) {
      return switch (refused.kind()) {
        case NOT_FOUND -> answer(Status.Code.INVALID_ARGUMENT,
            GreptimeStatusCode.INVALID_ARGUMENTS, failure.getMessage(), failure, true);
        case MANAGER_NOT_STARTED -> answer(Status.Code.UNAVAILABLE,
            GreptimeStatusCode.ILLEGAL_STATE, failure.getMessage(), failure, true);
        case PAUSED -> answer(Status.Code.FAILED_PRECONDITION, GreptimeStatusCode.ILLEGAL_STATE,
            failure.getMessage(), failure, true);
        case TOO_MANY_RUNNING -> answer(Status.Code.RESOURCE_EXHAUSTED,
            GreptimeStatusCode.INTERNAL, failure.getMessage(), failure, true);
        case DUPLICATE -> answer(Status.Code.ALREADY_EXISTS, GreptimeStatusCode.INVALID_ARGUMENTS,
            failure.getMessage(), failure, true);
      };
    }
    if (failure instanceof KvException && refusedAsInvalid(failure.getCause())) {
      return answer(Status.Code.INVALID_ARGUMENT, GreptimeStatusCode.INVALID_ARGUMENTS,
          failure.getMessage(), failure, true);
    }
    return answer(Status.Code.INTERNAL, GreptimeStatusCode.INTERNAL,
        "internal error: " + failure, failure, false);
  }

  /** Whether a store said, in its own gRPC status, that the request itself was at fault. */
  private static boolean refusedAsInvalid(Throwable cause) {
    if (cause == null) {
      return false;
    }
    Status.Code code = Status.fromThrowable(cause).getCode();
    return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.RESOURCE_EXHAUSTED
        || code == Status.Code.OUT_OF_RANGE;
  }

  private static Answer answer(Status.Code code, GreptimeStatusCode greptimeCode,
      String message, Throwable cause, boolean expected) {
    return answer(code, greptimeCode.code, message, cause, expected);
  }

  private static Answer answer(Status.Code code, int greptimeCode, String message,
      Throwable cause, boolean expected) {
    Metadata trailers = new Metadata();
    trailers.put(GREPTIME_ERROR_CODE, Integer.toString(greptimeCode));
    return new Answer(Status.fromCode(code).withDescription(message).withCause(cause), trailers,
        greptimeCode, expected);
  }

  /**
   * The gRPC code of a DDL failure, GreptimeDB's {@code status_to_tonic_code}, except that what
   * GreptimeDB answers UNAVAILABLE (TableUnavailable, StorageUnavailable, RegionNotReady) is
   * INTERNAL here: its frontend resubmits a DDL task that failed UNAVAILABLE.
   */
  static Status.Code ddlStatus(int greptimeCode) {
    return switch (greptimeCode) {
      case 4000, 4003, 4006, 4011, 8000 -> Status.Code.ALREADY_EXISTS;
      case 4001, 4002, 4004, 4005, 7000, 8001 -> Status.Code.NOT_FOUND;
      case 1001 -> Status.Code.UNIMPLEMENTED;
      case 1004, 2000, 5001 -> Status.Code.INVALID_ARGUMENT;
      case 4009, 6000, 6001 -> Status.Code.RESOURCE_EXHAUSTED;
      case 4007, 7005, 7006 -> Status.Code.PERMISSION_DENIED;
      case 7001, 7002, 7003, 7004 -> Status.Code.UNAUTHENTICATED;
      case 1005 -> Status.Code.CANCELLED;
      case 1000, 1007 -> Status.Code.UNKNOWN;
      default -> Status.Code.INTERNAL;
    };
  }
}
