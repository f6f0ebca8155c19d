/**
 * The admin HTTP API on {@code http.addr}: health, leader, maintenance mode and Prometheus
 * metrics. A thin adapter: every answer comes from an {@link io.metasrv.http.AdminBackend}
 * that the server implements; nothing here holds state of its own.
 */
package io.metasrv.http;
