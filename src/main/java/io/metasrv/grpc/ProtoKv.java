package io.metasrv.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.metasrv.protocol.KeyValue;
import java.util.ArrayList;
import java.util.List;

/** Key-values between the wire and {@link io.metasrv.kv}. */
final class ProtoKv {
  private ProtoKv() {}

  /**
   * The key-value as sent: its arrays are wrapped, not copied. {@link io.metasrv.kv.KeyValue}'s
   * arrays are never changed once made (its contract), and protobuf only reads them.
   */
  static KeyValue toProto(io.metasrv.kv.KeyValue kv) {
    return KeyValue.newBuilder()
        .setKey(UnsafeByteOperations.unsafeWrap(kv.key()))
        .setValue(UnsafeByteOperations.unsafeWrap(kv.value()))
        .build();
  }

  static List<KeyValue> toProto(List<io.metasrv.kv.KeyValue> kvs) {
    List<KeyValue> out = new ArrayList<>(kvs.size());
    kvs.forEach(kv -> out.add(toProto(kv)));
    return out;
  }

  static io.metasrv.kv.KeyValue fromProto(KeyValue kv) {
    return io.metasrv.kv.KeyValue.of(kv.getKey().toByteArray(), kv.getValue().toByteArray());
  }

  static List<io.metasrv.kv.KeyValue> fromProto(List<KeyValue> kvs) {
    List<io.metasrv.kv.KeyValue> out = new ArrayList<>(kvs.size());
    kvs.forEach(kv -> out.add(fromProto(kv)));
    return out;
  }

  static List<byte[]> keys(List<ByteString> keys) {
    List<byte[]> out = new ArrayList<>(keys.size());
    keys.forEach(key -> out.add(key.toByteArray()));
    return out;
  }

  /**
   * A range as etcd and GreptimeDB read it; a negative limit is refused rather than read as
   * "no limit".
   */
  static io.metasrv.kv.RangeRequest range(ByteString key, ByteString rangeEnd, long limit,
      boolean keysOnly) {
    if (limit < 0) {
      throw new InvalidRequestException("range limit must not be negative, got " + limit);
    }
    return new io.metasrv.kv.RangeRequest(key.toByteArray(), rangeEnd.toByteArray(), limit,
        keysOnly);
  }
}
