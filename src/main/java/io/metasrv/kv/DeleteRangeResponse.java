package io.metasrv.kv;

import java.util.List;

/**
 * The result of a range delete.
 *
 * @param deleted how many keys were deleted
 * @param prevKvs the deleted key-values, when asked for
 */
public record DeleteRangeResponse(long deleted, List<KeyValue> prevKvs) {
  public DeleteRangeResponse {
    prevKvs = List.copyOf(prevKvs);
  }
}
