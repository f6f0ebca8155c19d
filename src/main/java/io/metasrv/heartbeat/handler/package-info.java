/**
 * The heartbeat handlers, one class each, in GreptimeDB's order (see {@link
 * io.metasrv.heartbeat.handler.HeartbeatHandlers#standard}): each reads the request and what the
 * handlers before it recorded in the {@link io.metasrv.heartbeat.HeartbeatContext}, and writes
 * the leader's view, the store or the response.
 */
package io.metasrv.heartbeat.handler;
