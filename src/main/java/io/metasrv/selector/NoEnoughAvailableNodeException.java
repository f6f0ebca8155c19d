package io.metasrv.selector;

/**
 * Fewer nodes are available than a selection requires. Worded as GreptimeDB's
 * {@code NoEnoughAvailableNode} error ({@code src/meta-srv/src/error.rs}), whose status code is
 * {@code Internal} (1003).
 */
public final class NoEnoughAvailableNodeException extends RuntimeException {
  private final SelectTarget target;
  private final int required;
  private final int available;

  public NoEnoughAvailableNodeException(SelectTarget target, int required, int available) {
    super("Failed to request " + target + ", required: " + required + ", but only " + available
        + " available");
    this.target = target;
    this.required = required;
    this.available = available;
  }

  public SelectTarget target() {
    return target;
  }

  public int required() {
    return required;
  }

  public int available() {
    return available;
  }
}
