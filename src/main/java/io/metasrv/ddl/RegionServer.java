package io.metasrv.ddl;

import io.metasrv.metadata.Peer;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionResponse;
import java.util.concurrent.CompletableFuture;

/**
 * A datanode's region server as DDL procedures reach it: GreptimeDB's
 * {@code /greptime.v1.region.Region/Handle}. The {@code grpc} package implements it over a
 * channel per peer; tests reach simulated datanodes through the same implementation.
 *
 * <p>The future fails with a {@link RegionServerException} whose kind says what the procedure
 * does next: retry, take the request as done, or fail.
 */
public interface RegionServer {

  /**
   * Sends {@code request} to {@code peer}; one without a header is sent with an empty one, since
   * the datanode refuses a request without. Completes with the datanode's answer when its header
   * carries status code 0.
   */
  CompletableFuture<RegionResponse> handle(Peer peer, RegionRequest request);
}
