package io.metasrv.http;

/**
 * How this node serves, as {@code GET /health} reports it.
 *
 * <p>Readiness: a leader and a follower are both healthy (a follower serves Store reads and
 * tells clients who leads), so both answer 200; a node that is starting, stopping or has lost
 * its store answers 503.
 */
public enum NodeHealth {
  LEADER("leader", true),
  FOLLOWER("follower", true),
  NOT_SERVING("not_serving", false);

  private final String wireName;
  private final boolean serving;

  NodeHealth(String wireName, boolean serving) {
    this.wireName = wireName;
    this.serving = serving;
  }

  public String wireName() {
    return wireName;
  }

  public boolean serving() {
    return serving;
  }
}
