package io.metasrv.metadata;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code __topic_name/kafka/{topic}}: a Kafka WAL topic the leader has created (or found) and
 * written its first record to; the value is empty. The leader writes one per topic of its pool
 * once they all exist, and creates only the pool topics without a key at the next leader start.
 */
public record TopicNameKey(String topic) implements MetadataKey {
  public static final String PREFIX = "__topic_name/kafka";
  /**
   * Before these keys, GreptimeDB kept the created topics in one key, a JSON array of names; the
   * leader moves them to this form when it starts.
   */
  public static final String LEGACY_KEY = "__created_wal_topics/kafka";
  private static final Pattern PATTERN = KeyText.pattern(PREFIX + "/(.*)");

  public TopicNameKey {
    Objects.requireNonNull(topic, "topic");
  }

  /** {@code __topic_name/kafka/}: every recorded topic. */
  public static byte[] rangePrefix() {
    return KeyText.utf8(PREFIX + "/");
  }

  public static TopicNameKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "TopicNameKey");
    return new TopicNameKey(m.group(1));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + topic;
  }
}
