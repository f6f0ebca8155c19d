package io.metasrv.operator.cluster;

/** The spec cannot be applied; names the field so that the user knows what to fix. */
public final class InvalidSpecException extends Exception {
  private final String field;
  private final String reason;

  public InvalidSpecException(String field, String reason) {
    super(field + ": " + reason);
    this.field = field;
    this.reason = reason;
  }

  /** Path of the offending field, such as {@code spec.replicas}. */
  public String field() {
    return field;
  }

  public String reason() {
    return reason;
  }
}
