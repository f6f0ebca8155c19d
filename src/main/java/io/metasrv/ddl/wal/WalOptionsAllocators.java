package io.metasrv.ddl.wal;

import io.metasrv.config.WalOptions;
import io.metasrv.ddl.WalOptionsAllocator;
import io.metasrv.kv.KvBackend;
import java.util.Map;
import java.util.Random;

/** Picks the WAL options allocator of {@code [wal] provider}. */
public final class WalOptionsAllocators {
  private WalOptionsAllocators() {}

  /**
   * The allocator for {@code wal}. Its {@link WalOptionsAllocator#onLeaderStart} and {@link
   * WalOptionsAllocator#onLeaderStop} must follow this node's leadership.
   *
   * @param leaderKv the store as the leader writes it (fenced): the Kafka pool records its topics
   *     there
   * @throws IllegalArgumentException when a {@code [wal.tls]} file cannot be read
   */
  public static WalOptionsAllocator create(WalOptions wal, KvBackend leaderKv) {
    return switch (wal.provider()) {
      case RAFT_ENGINE -> WalOptionsAllocator.raftEngine();
      case KAFKA -> {
        Map<String, Object> clientConfig = KafkaClientConfig.of(wal);
        KafkaTopicPool pool = new KafkaTopicPool(wal, leaderKv,
            () -> KafkaTopicCreator.connect(wal, clientConfig));
        yield new KafkaWalOptionsAllocator(pool, new Random());
      }
    };
  }
}
