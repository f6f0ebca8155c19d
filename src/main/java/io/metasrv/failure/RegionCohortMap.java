package io.metasrv.failure;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Region id to value, in open addressing over primitive arrays: a datanode's regions and the
 * detector cohort of each ({@link RegionFailureDetectors}), a hundred or more per datanode and
 * looked up for every region of every heartbeat. A {@code HashMap<Long, ...>} spends about 56
 * bytes an entry and boxes every lookup; this about 24 and none. Values are never null. Not
 * thread-safe.
 */
final class RegionCohortMap<V> {
  private static final int MIN_CAPACITY = 16;

  private long[] keys;
  private Object[] values;
  private int size;

  RegionCohortMap() {
    keys = new long[MIN_CAPACITY];
    values = new Object[MIN_CAPACITY];
  }

  int size() {
    return size;
  }

  boolean containsKey(long key) {
    return values[slotOf(key)] != null;
  }

  @SuppressWarnings("unchecked")
  V get(long key) {
    return (V) values[slotOf(key)];
  }

  /** @return the value {@code key} had, or null */
  @SuppressWarnings("unchecked")
  V put(long key, V value) {
    if (value == null) {
      throw new IllegalArgumentException("null value for region " + key);
    }
    int slot = slotOf(key);
    V previous = (V) values[slot];
    keys[slot] = key;
    values[slot] = value;
    if (previous == null && ++size * 2 > keys.length) {
      resize(keys.length * 2);
    }
    return previous;
  }

  /** @return the value {@code key} had, or null */
  @SuppressWarnings("unchecked")
  V remove(long key) {
    int slot = slotOf(key);
    V previous = (V) values[slot];
    if (previous == null) {
      return null;
    }
    size--;
    // Backward shift: move later entries of the probe run into the gap, so that lookups never
    // stop early at an emptied slot.
    int mask = keys.length - 1;
    int gap = slot;
    for (int next = (gap + 1) & mask; values[next] != null; next = (next + 1) & mask) {
      int home = home(keys[next]);
      if (((next - home) & mask) >= ((next - gap) & mask)) {
        keys[gap] = keys[next];
        values[gap] = values[next];
        gap = next;
      }
    }
    values[gap] = null;
    return previous;
  }

  /** Calls {@code action} with every key and value, in no particular order. */
  @SuppressWarnings("unchecked")
  void forEach(Entries<V> action) {
    for (int slot = 0; slot < keys.length; slot++) {
      if (values[slot] != null) {
        action.accept(keys[slot], (V) values[slot]);
      }
    }
  }

  /** Replaces every value with what {@code function} gives for it (never null). */
  @SuppressWarnings("unchecked")
  void replaceAll(UnaryOperator<V> function) {
    for (int slot = 0; slot < keys.length; slot++) {
      if (values[slot] != null) {
        values[slot] = Objects.requireNonNull(function.apply((V) values[slot]));
      }
    }
  }

  @FunctionalInterface
  interface Entries<V> {
    void accept(long key, V value);
  }

  /** The slot holding {@code key}, or the empty slot where it would go. */
  private int slotOf(long key) {
    int mask = keys.length - 1;
    int slot = home(key);
    while (values[slot] != null && keys[slot] != key) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private int home(long key) {
    // Region ids are a table id and a small region number: mix the bits before masking.
    long mixed = key * 0x9E3779B97F4A7C15L;
    return (int) (mixed >>> 32) & (keys.length - 1);
  }

  private void resize(int capacity) {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    keys = new long[capacity];
    values = new Object[capacity];
    for (int slot = 0; slot < oldKeys.length; slot++) {
      if (oldValues[slot] != null) {
        int at = slotOf(oldKeys[slot]);
        keys[at] = oldKeys[slot];
        values[at] = oldValues[slot];
      }
    }
  }
}
