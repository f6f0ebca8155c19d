package io.metasrv.kv;

import java.util.ArrayList;
import java.util.List;

/** Reads every key under a prefix a page at a time, so that no one range answer is unbounded. */
public final class KvPages {
  private KvPages() {}

  /** Every key-value under {@code prefix}, in key order, read {@code pageSize} at a time. */
  public static List<KeyValue> all(KvBackend kv, byte[] prefix, int pageSize, boolean keysOnly) {
    List<KeyValue> all = new ArrayList<>();
    byte[] from = prefix;
    byte[] end = Bytes.prefixEnd(prefix);
    while (true) {
      RangeRequest request = RangeRequest.between(from, end).withLimit(pageSize);
      RangeResponse page = kv.range(keysOnly ? request.withKeysOnly() : request);
      all.addAll(page.kvs());
      if (!page.more() || page.kvs().isEmpty()) {
        return all;
      }
      from = Bytes.concat(page.kvs().get(page.kvs().size() - 1).key(), Bytes.ZERO);
    }
  }
}
