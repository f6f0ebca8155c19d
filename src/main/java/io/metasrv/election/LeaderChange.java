package io.metasrv.election;

/** A change of leadership as seen by one node, delivered in the order it happened. */
public sealed interface LeaderChange {

  /** The leader's {@code server_addr}. */
  String leaderAddr();

  /**
   * This node became leader.
   *
   * @param term the election's fencing token, strictly greater than every earlier leader's
   *     (etcd: the leader key's create revision; Kubernetes: the Lease's transitions); 0 when
   *     the election has none (a single node), and the next epoch is then one more than the last
   */
  record Elected(String leaderAddr, long term) implements LeaderChange {}

  /** This node stopped being leader (resigned, lost its lease, or was fenced). */
  record StepDown(String leaderAddr) implements LeaderChange {}
}
