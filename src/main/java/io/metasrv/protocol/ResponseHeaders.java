package io.metasrv.protocol;


/**
 * Response headers as GreptimeDB's metasrv writes them: protocol version 1, and an error with
 * GreptimeDB's meta error code where the answer is a refusal the client acts on.
 */
public final class ResponseHeaders {
  /** GreptimeDB's {@code PROTOCOL_VERSION}. */
  public static final long PROTOCOL_VERSION = 1;

  /** GreptimeDB's {@code ErrorCode::NotLeader}: clients ask for the leader again and retry. */
  public static final int NOT_LEADER = 2;

  private static final ResponseHeader OK = ResponseHeader.newBuilder()
      .setProtocolVersion(PROTOCOL_VERSION)
      .build();
  private static final ResponseHeader NOT_LEADER_HEADER = failed(NOT_LEADER,
      "Current server is not leader");

  private ResponseHeaders() {}

  public static ResponseHeader ok() {
    return OK;
  }

  /** The header followers answer to leader-only requests, with GreptimeDB's wording. */
  public static ResponseHeader notLeader() {
    return NOT_LEADER_HEADER;
  }

  public static ResponseHeader failed(int code, String message) {
    return ResponseHeader.newBuilder()
        .setProtocolVersion(PROTOCOL_VERSION)
        .setError(Error.newBuilder().setCode(code).setErrMsg(message))
        .build();
  }
}
