/**
 * The {@code greptime.v1.meta} gRPC services on {@code bind_addr}: Heartbeat, Store, Cluster and
 * ProcedureService (also served as {@code Procedure}), with health, reflection, zstd and gzip. A
 * thin adapter: every answer comes from a {@link io.metasrv.grpc.GrpcBackend} that the server
 * implements and, for heartbeats, from the {@link io.metasrv.heartbeat.HeartbeatPipeline}; the
 * wire messages are generated from {@code src/main/proto} into {@code io.metasrv.protocol}.
 * The client side toward datanodes is here too: {@link io.metasrv.grpc.DatanodeRegionClient}
 * sends DDL's region requests to {@code /greptime.v1.region.Region/Handle}.
 */
package io.metasrv.grpc;
