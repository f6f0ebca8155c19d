package io.metasrv.metadata;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.RangeRequest;
import java.util.List;

/**
 * Whether the procedure manager is paused (newer GreptimeDB's {@code POST
 * /admin/procedure-manager/pause}): no new procedures, no automatic failover; running ones
 * finish. Kept in the store so a new leader stays paused: the key {@value #KEY} exists (with an
 * empty value) while paused. GreptimeDB at the version we speak has no such key; this one is ours.
 */
public final class ProcedurePause {
  public static final String KEY = "__procedure_paused";
  private static final byte[] KEY_BYTES = Bytes.utf8(KEY);

  private final KvBackend kv;

  public ProcedurePause(KvBackend kv) {
    this.kv = kv;
  }

  public boolean isPaused() {
    return !kv.range(RangeRequest.single(KEY_BYTES).withKeysOnly()).kvs().isEmpty();
  }

  /** Pauses or resumes and returns the state now in force. */
  public boolean set(boolean paused) {
    if (paused) {
      kv.put(KEY_BYTES, Bytes.EMPTY);
    } else {
      kv.batchDelete(List.of(KEY_BYTES), false);
    }
    return paused;
  }
}
