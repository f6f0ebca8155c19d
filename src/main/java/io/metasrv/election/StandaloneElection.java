package io.metasrv.election;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The election of a single node with no election backend: it leads from start to close.
 *
 * <p>Only one such node may run against a store; nothing here can check that.
 */
public final class StandaloneElection implements Election {
  private volatile MetasrvNodeInfo self;
  private volatile Consumer<LeaderChange> listener;
  private volatile boolean leading;

  @Override
  public synchronized void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener) {
    if (this.self != null) {
      throw new IllegalStateException("election already started");
    }
    this.self = self;
    this.listener = listener;
    leading = true;
    listener.accept(new LeaderChange.Elected(self.addr(), 0));
  }

  @Override
  public Optional<String> leader() {
    return leading ? Optional.of(self.addr()) : Optional.empty();
  }

  @Override
  public boolean isLeader() {
    return leading;
  }

  /** A single node has no one to hand over to: it steps down and leads no more. */
  @Override
  public synchronized void resign() {
    if (leading) {
      leading = false;
      listener.accept(new LeaderChange.StepDown(self.addr()));
    }
  }

  @Override
  public List<MetasrvNodeInfo> allCandidates() {
    return self == null ? List.of() : List.of(self);
  }

  @Override
  public void close() {
    resign();
  }
}
