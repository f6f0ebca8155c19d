package io.metasrv.ddl.wal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.metasrv.ddl.WalOptionsAllocator;
import io.metasrv.metadata.SerdeJson;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kafka WAL options: each region gets the next topic of the pool, round-robin, as GreptimeDB's
 * {@code RoundRobinTopicSelector}. The cursor is not stored, so it starts at a random offset in
 * [0, 64) on every node, which spreads the tables created after a leader change (GreptimeDB's
 * {@code with_shuffle}).
 */
public final class KafkaWalOptionsAllocator implements WalOptionsAllocator {
  /** GreptimeDB draws the first cursor position from [0, 64) whatever the pool size. */
  private static final int START_OFFSETS = 64;

  private final KafkaTopicPool pool;
  private final AtomicInteger cursor;

  KafkaWalOptionsAllocator(KafkaTopicPool pool, Random random) {
    this.pool = pool;
    this.cursor = new AtomicInteger(random.nextInt(START_OFFSETS));
  }

  /** {@code {"wal.provider":"kafka","wal.kafka.topic":"..."}}, GreptimeDB's encoding. */
  static String kafkaOptions(String topic) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("wal.provider", "kafka");
    options.put("wal.kafka.topic", topic);
    try {
      return SerdeJson.MAPPER.writeValueAsString(options);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Map<Integer, String> allocate(List<Integer> regionNumbers, boolean skipWal) {
    Map<Integer, String> options = new LinkedHashMap<>();
    if (skipWal) {
      regionNumbers.forEach(number -> options.put(number, NOOP));
      return options;
    }
    pool.requireReady();
    List<String> topics = pool.topics();
    for (int number : regionNumbers) {
      String topic = topics.get(Math.floorMod(cursor.getAndIncrement(), topics.size()));
      options.put(number, kafkaOptions(topic));
    }
    return options;
  }

  @Override
  public void onLeaderStart() {
    pool.start();
  }

  @Override
  public void onLeaderStop() {
    pool.stop();
  }
}
