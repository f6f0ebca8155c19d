/**
 * The metasrv process: {@link io.metasrv.server.Metasrv} owns the node's lifecycle (start,
 * leader state handlers on election events, shutdown) and {@link
 * io.metasrv.server.MetasrvServer} wires the store and election ({@code Backends}), metrics, the
 * admin HTTP server and the gRPC server from the options.
 */
package io.metasrv.server;
