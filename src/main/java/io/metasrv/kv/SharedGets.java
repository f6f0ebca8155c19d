package io.metasrv.kv;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Gets of a key that callers ask for at the same time share one store read. A failover of a
 * datanode's 100 regions reads the same table info and {@code __dn_table} value 100 times within
 * a second, one read per migration; through this they cost a few.
 *
 * <p>A caller never gets a value read before it asked: it joins the read of its key that has not
 * started yet (or starts one), and that read starts once the key's read in flight, if any, has
 * ended. So it sees every write that ended before it asked, as a read of its own would, and waits
 * for at most two reads. Reads of different keys do not wait for each other. A failed read fails
 * every caller that shared it with the same exception.
 */
public final class SharedGets {
  private final KvBackend kv;
  /** The reads waiting or in flight, by key; guarded by this. */
  private final Map<ByteBuffer, Slot> slots = new HashMap<>();

  public SharedGets(KvBackend kv) {
    this.kv = kv;
  }

  /** {@link KvBackend#get}, shared with the callers that ask for the same key meanwhile. */
  public Optional<KeyValue> get(byte[] key) {
    ByteBuffer slotKey = ByteBuffer.wrap(key.clone());
    Read read;
    synchronized (this) {
      Slot slot = slots.computeIfAbsent(slotKey, k -> new Slot());
      if (slot.gathering == null) {
        slot.gathering = new Read();
      }
      read = slot.gathering;
      read.callers++;
      boolean interrupted = false;
      while (!read.started && slot.inFlight != null) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true; // the shared read is waited for still; the flag is kept
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (!read.started) {
        read.started = true;
        slot.gathering = null;
        slot.inFlight = read;
      } else {
        while (!read.done) {
          try {
            wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        return read.result();
      }
    }
    // This caller reads for every caller that joined the read before it started.
    Optional<KeyValue> value = null;
    RuntimeException failure = null;
    try {
      value = kv.get(key);
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      synchronized (this) {
        read.value = value;
        read.failure = failure != null || value != null ? failure
            : new IllegalStateException("the store read ended without a value");
        read.done = true;
        Slot slot = slots.get(slotKey);
        slot.inFlight = null;
        if (slot.gathering == null) {
          slots.remove(slotKey);
        }
        notifyAll();
      }
    }
    return read.result();
  }

  /** Callers waiting for the key's read that has not started yet, for tests. */
  synchronized int waitingForNextRead(byte[] key) {
    Slot slot = slots.get(ByteBuffer.wrap(key));
    return slot == null || slot.gathering == null ? 0 : slot.gathering.callers;
  }

  /** A key's read in flight and the one gathering callers for after it. */
  private static final class Slot {
    Read inFlight;
    Read gathering;
  }

  /** One store read and its outcome; guarded by the {@link SharedGets}. */
  private static final class Read {
    int callers;
    boolean started;
    boolean done;
    Optional<KeyValue> value;
    RuntimeException failure;

    Optional<KeyValue> result() {
      if (failure != null) {
        throw failure;
      }
      return value;
    }
  }
}
