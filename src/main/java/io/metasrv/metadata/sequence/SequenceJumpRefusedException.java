package io.metasrv.metadata.sequence;

/**
 * {@link Sequence#jumpTo} was asked to move a sequence backwards or to where it already is.
 * Worded as GreptimeDB's refusal, which its admin route reports.
 */
public final class SequenceJumpRefusedException extends SequenceException {
  private final long requested;
  private final long current;

  public SequenceJumpRefusedException(long requested, long current) {
    super("The next value " + requested + " is not greater than the current next value "
        + current);
    this.requested = requested;
    this.current = current;
  }

  /** The next id that was asked for. */
  public long requested() {
    return requested;
  }

  /** The sequence's next id at the time, which stays. */
  public long current() {
    return current;
  }
}
