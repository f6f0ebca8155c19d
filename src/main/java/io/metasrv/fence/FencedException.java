package io.metasrv.fence;

import io.metasrv.kv.KvException;

/** A leader-only write was refused: this node does not hold the current leader epoch. */
public final class FencedException extends KvException {
  private final long heldEpoch;
  private final long currentEpoch;

  public FencedException(long heldEpoch, long currentEpoch) {
    super(heldEpoch == 0
        ? "not the leader: this node holds no leader epoch (current epoch " + currentEpoch + ")"
        : "fenced: this node's leader epoch " + heldEpoch + " is no longer current (current "
            + currentEpoch + "); the write was refused");
    this.heldEpoch = heldEpoch;
    this.currentEpoch = currentEpoch;
  }

  /** The epoch this node wrote with, 0 when it held none. */
  public long heldEpoch() {
    return heldEpoch;
  }

  /** The epoch in the store when the write was refused. */
  public long currentEpoch() {
    return currentEpoch;
  }
}
