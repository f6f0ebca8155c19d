/**
 * The leader's side of the nodes' heartbeat streams, as GreptimeDB's metasrv handles them:
 * {@link io.metasrv.heartbeat.HeartbeatPipeline} takes each stream from the transport, runs each
 * request through the {@link io.metasrv.heartbeat.HeartbeatHandlerChain} (the handlers are in
 * {@code heartbeat.handler}) over a per-request {@link io.metasrv.heartbeat.HeartbeatContext},
 * and registers the stream in {@link io.metasrv.heartbeat.Pushers} so that the {@link
 * io.metasrv.heartbeat.Mailbox} can send instructions to nodes (replies matched by id, with
 * deadlines) and broadcast cache invalidations ({@link io.metasrv.heartbeat.CacheInvalidator}).
 * {@link io.metasrv.heartbeat.MemoryRegionKeeper} holds the regions procedures are working on.
 * No transport here: the gRPC service implements {@link io.metasrv.heartbeat.Pusher}.
 */
package io.metasrv.heartbeat;
