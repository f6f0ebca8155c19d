package io.metasrv.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tombstone moves: each key to its own tombstone, in transactions within max_txn_ops. */
class TombstonesTest {

  @Test
  void moreKeysThanHalfMaxTxnOpsEachLandUnderTheirOwnTombstone() {
    // max_txn_ops 4: two keys per move transaction; the store refuses anything larger
    KvBackend kv = new MemoryKv(new KvLimits(4, 1024));
    List<byte[]> keys = new ArrayList<>();
    Map<String, String> original = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      String key = "__dn_table/" + i + "/1024";
      keys.add(Bytes.utf8(key));
      original.put(key, "value-" + i);
      kv.put(Bytes.utf8(key), Bytes.utf8("value-" + i));
    }
    Tombstones tombstones = new Tombstones(kv);

    tombstones.bury(keys);
    Map<String, String> buried = new LinkedHashMap<>();
    original.forEach((key, value) -> buried.put("__tombstone/" + key, value));
    assertThat(stored(kv)).isEqualTo(buried);

    tombstones.bury(keys); // again: already moved, nothing changes
    assertThat(stored(kv)).isEqualTo(buried);

    tombstones.restore(keys);
    assertThat(stored(kv)).isEqualTo(original);

    tombstones.bury(keys);
    tombstones.delete(keys);
    assertThat(stored(kv)).isEmpty();
  }

  private static Map<String, String> stored(KvBackend kv) {
    Map<String, String> values = new java.util.TreeMap<>();
    for (KeyValue entry : kv.range(RangeRequest.all()).kvs()) {
      values.put(Bytes.utf8(entry.key()), Bytes.utf8(entry.value()));
    }
    return values;
  }
}
