package io.metasrv.metadata;

/**
 * {@code __topic_region/{topic}/{region_id}}: a region writes its WAL to a Kafka topic (empty
 * value). Written with a table's other keys when it is created, removed with them when dropped.
 */
public record TopicRegionKey(String topic, long regionId) implements MetadataKey {
  public static final String PREFIX = "__topic_region";

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + topic + "/" + Long.toUnsignedString(regionId);
  }
}
