package io.metasrv.kv;

import java.util.List;

/**
 * The result of a range read.
 *
 * @param kvs the key-values in key order
 * @param more whether the range held more keys than the limit let through
 */
public record RangeResponse(List<KeyValue> kvs, boolean more) {
  public RangeResponse {
    kvs = List.copyOf(kvs);
  }
}
