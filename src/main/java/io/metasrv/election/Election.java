package io.metasrv.election;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A leader election among metasrv nodes.
 *
 * <p>Implementations campaign in the background once {@link #start started} and report every
 * change of this node's leadership to the listener, in order, one at a time. Implementations
 * that renew a lease call the listener on a thread of their own, so that a slow listener cannot
 * delay the renewal.
 *
 * <p>{@link #isLeader()} is the truth at the moment it is asked, and events follow it: a node
 * whose hold on leadership may be about to lapse says {@code false} at once, and its {@link
 * LeaderChange.StepDown} is delivered right after.
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

  /**
   * Whether this node leads now: false as soon as a peer could have been elected, even before
   * the {@link LeaderChange.StepDown} has been delivered.
   */
  boolean isLeader();

  /**
   * Gives up leadership at once, so that a peer can take over without waiting for a lease.
   * Returns after the {@link LeaderChange.StepDown} has been delivered (when called from the
   * listener itself, as soon as leadership is released); does nothing when not leading.
   */
  void resign();

  /**
   * The live candidates, this node included.
   *
   * @throws ElectionException when the election backend cannot be read
   */
  List<MetasrvNodeInfo> allCandidates();

  /** Stops campaigning; resigns first when leading. Closing again does nothing. */
  @Override
  void close();
}
