package io.metasrv.server;

/**
 * Something that runs only while this node leads: leader caches, leases, procedures, id
 * allocation. Handlers start in registration order and stop in reverse order.
 */
public interface LeaderStateHandler {

  /** A short name for logs. */
  String name();

  /** This node has just become leader; load state and start leader-only work. */
  void onLeaderStart() throws Exception;

  /** This node is no longer leader; stop leader-only work before anything else happens. */
  void onLeaderStop() throws Exception;
}
