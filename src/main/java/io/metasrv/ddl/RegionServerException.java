package io.metasrv.ddl;

import io.metasrv.metadata.Peer;

/**
 * A region request a datanode did not carry out. The kind follows GreptimeDB's handling in
 * {@code common/meta/src/ddl}: transport failures are retried by the procedure, a region that is
 * already gone (on drop) or a request already applied (on alter) counts as done. The status code
 * decides before the gRPC code does, as GreptimeDB's procedures test {@code status_code()} first:
 * RegionNotFound or RequestOutdated has its kind however it arrived.
 */
public final class RegionServerException extends RuntimeException {

  /** What a DDL procedure does with the failure. */
  public enum Kind {
    /**
     * gRPC Unavailable, DeadlineExceeded, Unknown or Cancelled (a datanode down, slow or
     * unreachable): try again later.
     */
    RETRYABLE,
    /** GreptimeDB status RegionNotFound (4005): done, for a drop. */
    REGION_NOT_FOUND,
    /** GreptimeDB status RequestOutdated (5001): done, for an alter. */
    REQUEST_OUTDATED,
    /** Anything else: the procedure fails with this message. */
    FAILED
  }

  private final Kind kind;
  private final Peer peer;
  private final int greptimeStatusCode;

  public RegionServerException(
      Kind kind, Peer peer, int greptimeStatusCode, String message, Throwable cause) {
    super("datanode " + peer.id() + " (" + peer.addr() + "): " + message, cause);
    this.kind = kind;
    this.peer = peer;
    this.greptimeStatusCode = greptimeStatusCode;
  }

  public Kind kind() {
    return kind;
  }

  public Peer peer() {
    return peer;
  }

  /**
   * The datanode's GreptimeDB status code: its {@code x-greptime-err-code}, or the non-zero code
   * in a reply's header. Unknown (1000) when it sent none, as for a transport failure: GreptimeDB's
   * region client defaults it the same way.
   */
  public int greptimeStatusCode() {
    return greptimeStatusCode;
  }
}
