package io.metasrv.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The test thread plays the campaign thread; other threads resign, wake and listen. */
class CampaignSignalsTest {
  private static final String ADDR = "10.0.0.1:3002";
  private static final LeaderChange ELECTED = new LeaderChange.Elected(ADDR, 7);
  private static final LeaderChange STEP_DOWN = new LeaderChange.StepDown(ADDR);
  /** Far longer than any correct wait here takes: reaching it means a wake-up was lost. */
  private static final Duration LONG = Duration.ofSeconds(30);

  private final CampaignSignals signals =
      new CampaignSignals(LoggerFactory.getLogger(CampaignSignalsTest.class), System::nanoTime);
  private final List<LeaderChange> delivered = new CopyOnWriteArrayList<>();
  private final ExecutorService others = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    signals.stopEvents(Duration.ofSeconds(5));
    others.shutdownNow();
  }

  @Test
  void wakeUpBeforeTheWaitIsNotLostAndCountsOnce() {
    signals.start(ADDR, delivered::add);
    signals.wake();
    signals.wake();

    assertThat(millisToAwait(LONG)).isLessThan(5_000);
    // both wake-ups were consumed by the first wait: this one runs to its deadline
    assertThat(millisToAwait(Duration.ofMillis(200))).isGreaterThanOrEqualTo(200);
  }

  @Test
  void wakeUpFromAnotherThreadEndsTheWait() throws Exception {
    signals.start(ADDR, delivered::add);
    CompletableFuture<Void> waker = CompletableFuture.runAsync(() -> {
      sleep(100);
      signals.wake();
    }, others);

    assertThat(millisToAwait(LONG)).isLessThan(5_000);
    waker.get(5, TimeUnit.SECONDS);
  }

  @Test
  void requestCloseWakesTheCampaignThread() throws Exception {
    signals.start(ADDR, delivered::add);
    CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
      sleep(100);
      signals.requestClose();
    }, others);

    long startedAt = System.nanoTime();
    signals.awaitWakeUp(startedAt + LONG.toNanos(), signals::closing);
    assertThat(millisSince(startedAt)).isLessThan(5_000);
    assertThat(signals.closing()).isTrue();
    closer.get(5, TimeUnit.SECONDS);
  }

  @Test
  void interruptEndsTheWaitAndCountsAsClosing() {
    signals.start(ADDR, delivered::add);
    Thread.currentThread().interrupt();
    try {
      assertThat(millisToAwait(LONG)).isLessThan(5_000);
      assertThat(signals.closing()).isTrue();
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void resignWhenNotLeadingAndNoneIsPendingReturnsAtOnceAndWakesNobody() {
    signals.start(ADDR, delivered::add);
    long startedAt = System.nanoTime();
    signals.resign(() -> false, LONG);

    assertThat(millisSince(startedAt)).isLessThan(5_000);
    assertThat(signals.resignRequested()).isFalse();
    assertThat(millisToAwait(Duration.ofMillis(200))).isGreaterThanOrEqualTo(200);
  }

  @Test
  void resignReturnsOnlyOnceTheStepDownPublishedBeforeTheAnswerIsDelivered() throws Exception {
    CountDownLatch listening = new CountDownLatch(1);
    CountDownLatch letListenerGo = new CountDownLatch(1);
    signals.start(ADDR, change -> {
      if (change instanceof LeaderChange.Elected) {
        listening.countDown();
        awaitLatch(letListenerGo);
      }
      delivered.add(change);
    });
    signals.publish(ELECTED);
    assertThat(listening.await(5, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<List<LeaderChange>> resigned = CompletableFuture.supplyAsync(() -> {
      signals.resign(() -> true, LONG);
      return List.copyOf(delivered);
    }, others);
    // the resign wakes the campaign thread, which then sees it pending
    assertThat(millisToAwait(LONG)).isLessThan(5_000);
    await().atMost(Duration.ofSeconds(5)).until(signals::resignRequested);
    signals.publish(STEP_DOWN);
    signals.answerResign();
    assertThat(signals.resignRequested()).isFalse();

    sleep(200);
    assertThat(resigned).as("resign while the listener is still busy").isNotDone();
    letListenerGo.countDown();
    assertThat(resigned.get(5, TimeUnit.SECONDS)).containsExactly(ELECTED, STEP_DOWN);
  }

  @Test
  void resignFromTheListenerReturnsOnceReleasedWithoutWaitingForItself() throws Exception {
    CompletableFuture<Long> resignMillis = new CompletableFuture<>();
    signals.start(ADDR, change -> {
      delivered.add(change);
      if (change instanceof LeaderChange.Elected) {
        long startedAt = System.nanoTime();
        signals.resign(() -> true, LONG);
        resignMillis.complete(millisSince(startedAt));
      }
    });
    signals.publish(ELECTED);
    await().atMost(Duration.ofSeconds(5)).until(signals::resignRequested);

    signals.publish(STEP_DOWN);
    signals.answerResign();

    assertThat(resignMillis.get(10, TimeUnit.SECONDS)).isLessThan(5_000);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> delivered.equals(List.of(ELECTED, STEP_DOWN)));
  }

  @Test
  void laterCallersJoinThePendingResignAndOneAnswerReleasesAll() throws InterruptedException {
    signals.start(ADDR, delivered::add);
    Thread first = new Thread(() -> signals.resign(() -> true, LONG));
    first.start();
    await().atMost(Duration.ofSeconds(5)).until(signals::resignRequested);
    // no longer leading by now, yet a resign is pending: this caller waits for it too
    Thread second = new Thread(() -> signals.resign(() -> false, LONG));
    second.start();
    await("both callers waiting").atMost(Duration.ofSeconds(5)).until(() ->
        first.getState() == Thread.State.TIMED_WAITING
            && second.getState() == Thread.State.TIMED_WAITING);

    signals.answerResign();
    first.join(5_000);
    second.join(5_000);
    assertThat(first.isAlive()).isFalse();
    assertThat(second.isAlive()).isFalse();
    assertThat(signals.resignRequested()).isFalse();
  }

  @Test
  void eventsArriveInOrderAndAFailingListenerDoesNotStopLaterOnes() {
    signals.start(ADDR, change -> {
      delivered.add(change);
      if (change instanceof LeaderChange.Elected) {
        throw new IllegalStateException("listener failure (expected by the test)");
      }
    });
    List<LeaderChange> published = List.of(ELECTED, STEP_DOWN,
        new LeaderChange.Elected(ADDR, 8), new LeaderChange.StepDown(ADDR));
    published.forEach(signals::publish);

    signals.stopEvents(Duration.ofSeconds(5));
    assertThat(delivered).isEqualTo(published);
  }

  private long millisToAwait(Duration timeout) {
    long startedAt = System.nanoTime();
    signals.awaitWakeUp(startedAt + timeout.toNanos(), () -> false);
    return millisSince(startedAt);
  }

  private static long millisSince(long startedAt) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("latch not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
