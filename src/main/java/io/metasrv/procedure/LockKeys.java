package io.metasrv.procedure;

import java.util.List;
import java.util.TreeSet;

/**
 * The locks of one procedure, sorted (shared before exclusive, each by key) and without
 * duplicates, as GreptimeDB's {@code LockKey::new}. A key listed both shared and exclusive is
 * locked once, for writing (GreptimeDB would take the read lock and then wait for the write lock
 * forever).
 */
public record LockKeys(List<LockKey> keys) {

  public LockKeys {
    keys = List.copyOf(new TreeSet<>(keys));
  }

  public static LockKeys of(LockKey... keys) {
    return new LockKeys(List.of(keys));
  }

  /** Each key in Rust's Debug form, in order, as GreptimeDB lists procedures. */
  public List<String> debugStrings() {
    return keys.stream().map(LockKey::toString).toList();
  }
}
