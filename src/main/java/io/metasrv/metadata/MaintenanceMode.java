package io.metasrv.metadata;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.RangeRequest;
import java.util.List;

/**
 * The cluster-wide maintenance flag: while it is on, the leader makes no automatic changes to
 * the cluster (no region failover); failed regions wait and move once it is off.
 *
 * <p>Stored as GreptimeDB stores it, so GreptimeDB's own tools read the same flag: the key
 * {@value #KEY} exists (with an empty value) while maintenance is on.
 */
public final class MaintenanceMode {
  public static final String KEY = "__maintenance";
  private static final byte[] KEY_BYTES = Bytes.utf8(KEY);

  private final KvBackend kv;

  /** The flag's key as bytes; its value is always empty. */
  public static byte[] keyBytes() {
    return KEY_BYTES.clone();
  }

  public MaintenanceMode(KvBackend kv) {
    this.kv = kv;
  }

  public boolean isEnabled() {
    return !kv.range(RangeRequest.single(KEY_BYTES).withKeysOnly()).kvs().isEmpty();
  }

  /** Turns maintenance on or off and returns the state now in force. */
  public boolean set(boolean enabled) {
    if (enabled) {
      kv.put(KEY_BYTES, Bytes.EMPTY);
    } else {
      kv.batchDelete(List.of(KEY_BYTES), false);
    }
    return enabled;
  }
}
