package io.metasrv.election;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A leader election among metasrv nodes.
 *
 * <p>Implementations campaign in the background once {@link #start started} and report every
 * change of this node's leadership to the listener, in order, on one thread.
 */
public interface Election extends AutoCloseable {

  /**
   * Registers this node as a candidate and starts campaigning.
   *
   * @param self what this node advertises; its {@code addr} is the leader value when it leads
   * @param listener receives this node's leadership changes, in order
   */
  void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener);

  /** The current leader's {@code server_addr}, when one is known. */
  Optional<String> leader();

  /** Whether this node leads now. */
  boolean isLeader();

  /** Gives up leadership at once, so that a peer can take over without waiting for a lease. */
  void resign();

  /** The live candidates, this node included. */
  List<MetasrvNodeInfo> allCandidates();

  /** Stops campaigning; resigns first when leading. */
  @Override
  void close();
}
