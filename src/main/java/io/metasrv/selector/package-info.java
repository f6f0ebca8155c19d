/**
 * Choosing nodes for new regions, flows and failover targets, as GreptimeDB's selectors do:
 * {@code round_robin} (the default), {@code lease_based} (uniformly random) and
 * {@code load_based} (random, weighted towards datanodes that lead fewer regions), chosen by the
 * {@code selector} option.
 *
 * <p>A selector works on the candidates it is given: the caller passes the alive nodes (and,
 * for {@code load_based}, their region counts from the latest stats) from its view of the
 * cluster, so selection is pure logic and reads no store.
 */
package io.metasrv.selector;
