package io.metasrv.ddl.wal;

import io.metasrv.config.WalOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates WAL topics in Kafka as GreptimeDB's {@code KafkaTopicCreator} does: each topic with
 * {@code num_partitions} and {@code replication_factor} (one that already exists is fine), then
 * one record without key or value, LZ4-compressed, on partition 0 of each, so that a datanode
 * reading the topic finds it non-empty. Each Kafka call is bounded by {@code create_topic_timeout}.
 */
final class KafkaTopicCreator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaTopicCreator.class);
  private static final int FIRST_PARTITION = 0;

  private final Admin admin;
  private final Producer<byte[], byte[]> producer;
  private final int numPartitions;
  private final short replicationFactor;
  private final Duration timeout;

  private KafkaTopicCreator(Admin admin, Producer<byte[], byte[]> producer, WalOptions wal) {
    this.admin = admin;
    this.producer = producer;
    this.numPartitions = wal.numPartitions();
    this.replicationFactor = (short) wal.replicationFactor();
    this.timeout = wal.createTopicTimeout();
  }

  /** Clients for {@code clientConfig}; they connect on first use. */
  static KafkaTopicCreator connect(WalOptions wal, Map<String, Object> clientConfig) {
    int timeoutMillis = (int) wal.createTopicTimeout().toMillis();
    Map<String, Object> adminConfig = new HashMap<>(clientConfig);
    adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMillis);
    adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMillis);
    Map<String, Object> producerConfig = new HashMap<>(clientConfig);
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // one record per topic, once: no batching, and no producer id to ask the cluster for
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMillis);
    producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMillis);
    producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMillis);
    Admin admin = Admin.create(adminConfig);
    try {
      return new KafkaTopicCreator(admin, new KafkaProducer<>(producerConfig,
          new ByteArraySerializer(), new ByteArraySerializer()), wal);
    } catch (RuntimeException e) {
      admin.close(Duration.ZERO);
      throw e;
    }
  }

  /**
   * Creates {@code topics} where missing and appends the first record to each.
   *
   * @throws ExecutionException a Kafka call failed (its cause says why)
   * @throws TimeoutException a Kafka call took longer than {@code create_topic_timeout}
   * @throws InterruptedException the leader stopped meanwhile
   */
  void prepare(List<String> topics)
      throws ExecutionException, TimeoutException, InterruptedException {
    List<NewTopic> newTopics = topics.stream()
        .map(topic -> new NewTopic(topic, numPartitions, replicationFactor))
        .toList();
    Map<String, KafkaFuture<Void>> created = admin.createTopics(newTopics,
        new CreateTopicsOptions().timeoutMs((int) timeout.toMillis())).values();
    for (String topic : topics) {
      try {
        await(created.get(topic));
        log.info("created WAL topic {} ({} partition(s), replication factor {})", topic,
            numPartitions, replicationFactor);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
        log.info("WAL topic {} already exists", topic);
      }
    }
    List<Future<?>> appended = new ArrayList<>();
    for (String topic : topics) {
      appended.add(producer.send(new ProducerRecord<byte[], byte[]>(topic, FIRST_PARTITION, null, null)));
    }
    for (Future<?> record : appended) {
      await(record);
    }
  }

  /** The call's own timeout fails the future first; this bound only guards against a hang. */
  private void await(Future<?> future)
      throws ExecutionException, TimeoutException, InterruptedException {
    future.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  /** Closes both clients at once, failing calls in flight. */
  @Override
  public void close() {
    producer.close(Duration.ZERO);
    admin.close(Duration.ZERO);
  }
}
