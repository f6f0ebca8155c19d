package io.metasrv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.metasrv.testing.ForwardingKv;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Gets shared by callers at once, on a memory store whose first get can be held. */
class SharedGetsTest {
  private static final byte[] KEY = bytes("__table_info/1024");
  private static final byte[] OTHER = bytes("__table_info/1025");

  private final GatedKv kv = new GatedKv();
  private final SharedGets gets = new SharedGets(kv);
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  @Test
  void callersAskingDuringAReadShareTheNextOneAndSeeWhatWasWrittenBeforeTheyAsked()
      throws Exception {
    kv.memory.put(KEY, bytes("v1"));
    kv.holdFirstGet = true;
    Future<String> first = threads.submit(() -> value(gets.get(KEY)));
    assertThat(kv.held.await(30, TimeUnit.SECONDS)).isTrue();

    // Written after the first read took its value: the callers from now on must see it.
    kv.memory.put(KEY, bytes("v2"));
    List<Future<String>> later = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      later.add(threads.submit(() -> value(gets.get(KEY))));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> gets.waitingForNextRead(KEY) == 10);
    assertThat(later).noneMatch(Future::isDone);

    kv.release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("v1");
    for (Future<String> caller : later) {
      assertThat(caller.get(30, TimeUnit.SECONDS)).isEqualTo("v2");
    }
    assertThat(kv.gets).as("one read for the first caller, one for the ten after it")
        .hasValue(2);
    assertThat(gets.waitingForNextRead(KEY)).isZero();
  }

  @Test
  void aReadOfAnotherKeyDoesNotWaitForOneInFlight() throws Exception {
    kv.memory.put(OTHER, bytes("other"));
    kv.holdFirstGet = true;
    Future<Optional<KeyValue>> held = threads.submit(() -> gets.get(KEY));
    assertThat(kv.held.await(30, TimeUnit.SECONDS)).isTrue();

    assertThat(value(gets.get(OTHER))).isEqualTo("other");
    kv.release.countDown();
    assertThat(held.get(30, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void aFailedReadFailsEveryCallerSharingItAndTheNextCallerReadsAgain() throws Exception {
    kv.memory.put(KEY, bytes("v1"));
    kv.holdFirstGet = true;
    Future<Optional<KeyValue>> first = threads.submit(() -> gets.get(KEY));
    assertThat(kv.held.await(30, TimeUnit.SECONDS)).isTrue();
    kv.failGets = true;
    List<Future<Optional<KeyValue>>> sharing = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sharing.add(threads.submit(() -> gets.get(KEY)));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> gets.waitingForNextRead(KEY) == 3);
    kv.release.countDown();
    assertThat(value(first.get(30, TimeUnit.SECONDS))).isEqualTo("v1");
    for (Future<Optional<KeyValue>> caller : sharing) {
      assertThatThrownBy(() -> caller.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(KvUnavailableException.class);
    }
    assertThat(kv.gets).hasValue(2);

    kv.failGets = false;
    assertThat(value(gets.get(KEY))).isEqualTo("v1");
    assertThat(kv.gets).hasValue(3);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String value(Optional<KeyValue> kv) {
    return kv.map(found -> new String(found.value(), StandardCharsets.UTF_8)).orElse(null);
  }

  /**
   * A memory store that counts gets and, when asked, holds the first after taking its value;
   * its gets fail while {@link #failGets}.
   */
  private static final class GatedKv extends ForwardingKv {
    final MemoryKv memory;
    final AtomicInteger gets = new AtomicInteger();
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean holdFirstGet;
    volatile boolean failGets;

    GatedKv() {
      this(new MemoryKv());
    }

    private GatedKv(MemoryKv memory) {
      super(memory);
      this.memory = memory;
    }

    @Override
    public Optional<KeyValue> get(byte[] key) {
      boolean hold = gets.incrementAndGet() == 1 && holdFirstGet;
      if (failGets) {
        throw new KvUnavailableException("store down", null);
      }
      Optional<KeyValue> value = memory.get(key);
      if (hold) {
        held.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      return value;
    }
  }
}
