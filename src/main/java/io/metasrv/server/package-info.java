/**
 * The metasrv process: {@link io.metasrv.server.Metasrv} owns the lifecycle (start, leader
 * state handlers on election events, shutdown) and {@link io.metasrv.server.MetasrvBootstrap}
 * wires the store, the election, metrics and the admin HTTP server from the options.
 */
package io.metasrv.server;
