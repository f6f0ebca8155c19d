package io.metasrv.metadata.sequence;

/**
 * A sequence could not hand out or move its ids: it is exhausted, its stored value is not an
 * 8-byte number, or it lost the race for its key too often. Store failures are not wrapped: they
 * arrive as the store's own {@link io.metasrv.kv.KvException}s.
 */
public class SequenceException extends RuntimeException {
  public SequenceException(String message) {
    super(message);
  }
}
