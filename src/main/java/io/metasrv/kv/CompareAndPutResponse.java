package io.metasrv.kv;

import java.util.Optional;

/**
 * The result of a compare-and-put.
 *
 * @param success whether the value was written
 * @param prev the key's value before the call (the current value when the compare failed)
 */
public record CompareAndPutResponse(boolean success, Optional<KeyValue> prev) {}
