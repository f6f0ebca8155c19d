package io.metasrv.heartbeat.handler;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.Pusher;
import io.metasrv.heartbeat.Pushers;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.heartbeat.instruction.Instruction;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CombinedInvalidationsTest {
  private final Pushers pushers = new Pushers();
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
  private final AtomicLong ids = new AtomicLong();
  private final CombinedInvalidations invalidations = new CombinedInvalidations(
      new CacheInvalidator(new Mailbox(pushers, ids::incrementAndGet, deadlines,
          new SimpleMeterRegistry()), "10.0.0.1:3002", () -> 1_700_000_000_000L));
  /** What a frontend's stream received: the instructions' JSON. */
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final CountDownLatch firstPushArrived = new CountDownLatch(1);
  private final CountDownLatch releaseFirstPush = new CountDownLatch(1);

  CombinedInvalidationsTest() {
    // A frontend whose first push blocks, as a broadcast to thousands of streams takes time.
    pushers.register(pushers.keyFor(Role.FRONTEND, 1), new Pusher() {
      @Override
      public boolean push(HeartbeatResponse response) {
        received.add(response.getMailboxMessage().getJson());
        firstPushArrived.countDown();
        try {
          releaseFirstPush.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      }
    });
  }

  @AfterEach
  void stop() {
    deadlines.shutdownNow();
  }

  @Test
  void aCallerAloneBroadcastsAtOnce() {
    releaseFirstPush.countDown();
    invalidations.invalidate(tables(1, 2));
    invalidations.invalidate(List.of());
    assertThat(received).containsExactly(json(tables(1, 2)), json(List.of()));
  }

  @Test
  void invalidationsAskedForDuringABroadcastGoTogetherInTheNextAndTheirCallersDoNotWait()
      throws Exception {
    CompletableFuture<Void> first = CompletableFuture.runAsync(
        () -> invalidations.invalidate(tables(1, 2)));
    assertThat(firstPushArrived.await(10, TimeUnit.SECONDS)).isTrue();

    invalidations.invalidate(tables(3, 4));
    invalidations.invalidate(tables(4, 5));
    assertThat(received).as("queued while the first broadcast is under way")
        .containsExactly(json(tables(1, 2)));

    releaseFirstPush.countDown();
    first.get(10, TimeUnit.SECONDS);
    assertThat(received).as("broadcast by the first caller, once, each table once")
        .containsExactly(json(tables(1, 2)), json(tables(3, 5)));

    invalidations.invalidate(tables(6, 6));
    assertThat(received).as("the turn ended: the next caller broadcasts itself")
        .endsWith(json(tables(6, 6))).hasSize(3);
  }

  @Test
  void aLargeBacklogIsBroadcastInBoundedMessages() throws Exception {
    CompletableFuture<Void> first = CompletableFuture.runAsync(
        () -> invalidations.invalidate(tables(1, 1)));
    assertThat(firstPushArrived.await(10, TimeUnit.SECONDS)).isTrue();
    for (long table = 2; table <= 2_501; table++) {
      invalidations.invalidate(tables(table, table));
    }
    releaseFirstPush.countDown();
    first.get(10, TimeUnit.SECONDS);
    assertThat(received).containsExactly(json(tables(1, 1)), json(tables(2, 1_001)),
        json(tables(1_002, 2_001)), json(tables(2_002, 2_501)));
  }

  private static List<CacheIdent> tables(long first, long last) {
    List<CacheIdent> tables = new ArrayList<>();
    LongStream.rangeClosed(first, last).forEach(id -> tables.add(new CacheIdent.TableId(id)));
    return tables;
  }

  private static String json(List<CacheIdent> caches) {
    return new Instruction.InvalidateCaches(caches).toJson();
  }
}
