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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
  private static final Duration LINGER = Duration.ofMillis(250);

  private final Pushers pushers = new Pushers();
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong nanoClock = new AtomicLong(1_000_000_000L);
  /** Flushes scheduled and not run yet, with the delay each was scheduled with. */
  private final List<Map.Entry<Runnable, Long>> scheduled = new CopyOnWriteArrayList<>();
  private final CombinedInvalidations invalidations = new CombinedInvalidations(
      new CacheInvalidator(new Mailbox(pushers, ids::incrementAndGet, deadlines,
          new SimpleMeterRegistry()), "10.0.0.1:3002", () -> 1_700_000_000_000L),
      LINGER, nanoClock::get, (task, delayNanos) -> scheduled.add(Map.entry(task, delayNanos)));
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
  void aCallerAfterTheLingerBroadcastsAtOnce() {
    releaseFirstPush.countDown();
    invalidations.invalidate(tables(1, 2));
    nanoClock.addAndGet(LINGER.toNanos());
    invalidations.invalidate(List.of());
    assertThat(received).containsExactly(json(tables(1, 2)), json(List.of()));
    assertThat(scheduled).isEmpty();
  }

  @Test
  void invalidationsAskedForWithinTheLingerGoTogetherWhenItEndsAndTheirCallersDoNotWait() {
    releaseFirstPush.countDown();
    invalidations.invalidate(tables(1, 2));
    nanoClock.addAndGet(LINGER.toNanos() / 5);

    invalidations.invalidate(tables(3, 4));
    invalidations.invalidate(tables(4, 5));
    assertThat(received).as("queued within the linger").containsExactly(json(tables(1, 2)));
    assertThat(scheduled).as("one flush, when the linger after the last broadcast ends")
        .extracting(Map.Entry::getValue).containsExactly(LINGER.toNanos() * 4 / 5);

    runScheduled();
    assertThat(received).as("each table once, in one broadcast")
        .containsExactly(json(tables(1, 2)), json(tables(3, 5)));

    invalidations.invalidate(tables(6, 6));
    assertThat(received).as("the flush was a broadcast too: the linger starts again")
        .hasSize(2);
    nanoClock.addAndGet(LINGER.toNanos());
    runScheduled();
    assertThat(received).endsWith(json(tables(6, 6))).hasSize(3);
  }

  @Test
  void invalidationsAskedForDuringABroadcastGoOutALingerAfterIt() throws Exception {
    CompletableFuture<Void> first = CompletableFuture.runAsync(
        () -> invalidations.invalidate(tables(1, 2)));
    assertThat(firstPushArrived.await(10, TimeUnit.SECONDS)).isTrue();

    invalidations.invalidate(tables(3, 4));
    assertThat(scheduled).as("the broadcaster schedules them when it is done").isEmpty();

    releaseFirstPush.countDown();
    first.get(10, TimeUnit.SECONDS);
    assertThat(received).containsExactly(json(tables(1, 2)));
    assertThat(scheduled).extracting(Map.Entry::getValue).containsExactly(LINGER.toNanos());
    runScheduled();
    assertThat(received).containsExactly(json(tables(1, 2)), json(tables(3, 4)));
  }

  @Test
  void anEmptyInvalidationWithinTheLingerIsStillBroadcast() {
    releaseFirstPush.countDown();
    invalidations.invalidate(tables(1, 1));
    invalidations.invalidate(List.of());
    runScheduled();
    assertThat(received).containsExactly(json(tables(1, 1)), json(List.of()));
  }

  @Test
  void aLargeBacklogIsBroadcastInBoundedMessages() {
    releaseFirstPush.countDown();
    invalidations.invalidate(tables(1, 1));
    for (long table = 2; table <= 2_501; table++) {
      invalidations.invalidate(tables(table, table));
    }
    runScheduled();
    assertThat(received).containsExactly(json(tables(1, 1)), json(tables(2, 1_001)),
        json(tables(1_002, 2_001)), json(tables(2_002, 2_501)));
  }

  /** Runs the flushes scheduled so far, as the linger after each ends. */
  private void runScheduled() {
    List<Map.Entry<Runnable, Long>> due = List.copyOf(scheduled);
    scheduled.removeAll(due);
    due.forEach(flush -> flush.getKey().run());
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
