package io.metasrv.procedure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.metasrv.config.ProcedureOptions;
import io.metasrv.config.ReadableSize;
import io.metasrv.fence.FencedKv;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.RangeRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The procedure manager against GreptimeDB's semantics (reference §1): steps and their keys,
 * retries, rollback, admission, locks, stop and recovery, forgetting finished procedures. Waits
 * between attempts are recorded, never slept.
 */
class ProcedureManagerTest {
  private static final ProcedureOptions OPTIONS =
      new ProcedureOptions(12, Duration.ofMillis(500), ReadableSize.ofKib(1500), 128);

  private final MemoryKv kv = new MemoryKv();
  private final MutableClock clock = new MutableClock();
  private final StepWorld world = new StepWorld();
  private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
  private volatile Consumer<Duration> onSleep = delay -> { };
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final CountDownLatch gate = new CountDownLatch(1);

  @AfterEach
  void closeAll() throws Exception {
    gate.countDown();
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private ProcedureManager manager(KvBackend store, ProcedureOptions options) {
    ProcedureManager manager = ProcedureManager.builder(store, options)
        .clock(clock)
        .sleeper((delay, wakeUp) -> {
          sleeps.add(delay);
          onSleep.accept(delay);
        })
        .build();
    manager.registerLoader(StepProcedure.TYPE, StepProcedure.loader(world));
    closing.add(manager);
    return manager;
  }

  private ProcedureManager started() {
    ProcedureManager manager = manager(kv, OPTIONS);
    manager.start();
    return manager;
  }

  private static ProcedureState finished(ProcedureManager manager, ProcedureId id)
      throws Exception {
    return manager.whenFinished(id).get(30, TimeUnit.SECONDS);
  }

  /** The procedure keys in the store, without the common prefix. */
  private List<String> keys() {
    return kv.range(RangeRequest.prefix(Bytes.utf8(ProcedureStore.PREFIX)).withKeysOnly()).kvs()
        .stream().map(kv -> Bytes.utf8(kv.key()).substring(ProcedureStore.PREFIX.length()))
        .toList();
  }

  private String value(ProcedureId id, long step, ProcedureStore.RecordType type) {
    return Bytes.utf8(kv.get(Bytes.utf8(ProcedureStore.key(id, step, type))).orElseThrow()
        .value());
  }

  // ---- steps and keys

  @Test
  void eachPersistedStepIsWrittenThenDoneCommitsAndFinishedProceduresLeaveNoKeys()
      throws Exception {
    ProcedureManager manager = started();
    ProcedureId id = ProcedureId.parse("9f805a1f-05f7-490c-9f91-bd56e3cc54c1");
    List<List<String>> seen = Collections.synchronizedList(new ArrayList<>());
    List<String> stepOne = new ArrayList<>();
    world.on("p", 0, context -> seen.add(keys()));
    world.on("p", 1, context -> seen.add(keys()));
    world.on("p", 2, context -> {
      seen.add(keys());
      stepOne.add(value(id, 1, ProcedureStore.RecordType.STEP));
    });

    manager.submit(id, StepProcedure.of(world, "p", 3).writes(1024));
    ProcedureState state = finished(manager, id);

    String dir = id + "/";
    assertThat(seen).containsExactly(
        List.of(),
        List.of(dir + "0000000000.step"),
        List.of(dir + "0000000000.step", dir + "0000000001.step"));
    assertThat(stepOne).containsExactly("{\"type_name\":\"test::Steps\",\"data\":\""
        + "{\\\"name\\\":\\\"p\\\",\\\"states\\\":3,\\\"state\\\":2,\\\"rollback\\\":false,"
        + "\\\"persist\\\":true,\\\"write\\\":[1024],\\\"read\\\":[]}\",\"parent_id\":null,"
        + "\"step\":1}");
    assertThat(state).isEqualTo(ProcedureState.done(java.util.Optional.of("p")));
    assertThat(keys()).isEmpty();
    assertThat(manager.runningCount()).isZero();
    assertThat(manager.list()).singleElement().satisfies(info -> {
      assertThat(info.typeName()).isEqualTo(StepProcedure.TYPE);
      assertThat(info.lockKeys()).containsExactly("Exclusive(\"__table_lock/1024\")");
      assertThat(info.startTimeMs()).isEqualTo(clock.millis());
      assertThat(info.endTimeMs()).isEqualTo(clock.millis());
    });
  }

  @Test
  void aLastStepThatDeletesTheRecordsInItsTransactionLeavesNoCommitAndNoDeletionToDo()
      throws Exception {
    SimpleMeterRegistry calls = new SimpleMeterRegistry();
    ProcedureManager manager = manager(new MeteredKv(kv, calls), OPTIONS);
    manager.start();
    world.store(kv);
    double rangesAfterStart = calls(calls, "range");
    ProcedureId id = ProcedureId.parse("9f805a1f-05f7-490c-9f91-bd56e3cc54c1");

    manager.submit(id, StepProcedure.of(world, "p", 3).deletingRecordsAtTheEnd());

    assertThat(finished(manager, id)).isEqualTo(ProcedureState.done(Optional.of("p")));
    String dir = ProcedureStore.PREFIX + id + "/";
    assertThat(world.finalTransactions()).singleElement().asList()
        .containsExactly(dir + "0000000000.step", dir + "0000000001.step");
    assertThat(keys()).isEmpty();
    // the runner wrote the two steps and nothing else: no reads, no commit, no deletion
    assertThat(calls(calls, "put")).isEqualTo(2);
    assertThat(calls(calls, "txn")).isZero();
    assertThat(calls(calls, "range")).isEqualTo(rangesAfterStart);
  }

  @Test
  void aRecoveredProcedureIsOfferedNoRecordDeletionsAndCommitsAsUsual() throws Exception {
    ProcedureId id = ProcedureId.random();
    new ProcedureStore(new GroupCommit(kv), 0).putStep(id, 0, ProcedureMessage.step(
        StepProcedure.TYPE, StepProcedure.of(world, "p", 2).deletingRecordsAtTheEnd().dump(), 0));
    world.store(kv);

    ProcedureManager manager = started();

    assertThat(finished(manager, id).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(world.executionsOf("p")).containsExactly("0", "1");
    assertThat(world.finalTransactions()).isEmpty();
    assertThat(keys()).isEmpty();
  }

  private static double calls(SimpleMeterRegistry registry, String op) {
    return registry.get(MeteredKv.METER).tag("op", op).tag("outcome", "success").timer()
        .count();
  }

  @Test
  void stepsThatDoNotPersistWriteNothingAndDoneStillCommits() throws Exception {
    ProcedureManager manager = started();
    List<List<String>> seen = Collections.synchronizedList(new ArrayList<>());
    world.on("p", 2, context -> seen.add(keys()));

    ProcedureId id = manager.submit(StepProcedure.of(world, "p", 3).withoutPersisting());

    assertThat(finished(manager, id).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(seen).containsExactly(List.of());
    assertThat(world.executionsOf("p")).containsExactly("0", "1", "2");
  }

  // ---- retries and rollback

  @Test
  void aRetryableErrorIsRetriedAfterDoublingDelaysWithNoiseThenSucceeds() throws Exception {
    ProcedureManager manager = started();
    List<ProcedureState> whileWaiting = Collections.synchronizedList(new ArrayList<>());
    ProcedureId id = ProcedureId.random();
    onSleep = delay -> whileWaiting.add(manager.state(id).orElseThrow());
    world.on("p", 1, context -> {
      throw new RetryLaterException("datanode 1 unreachable");
    });
    world.on("p", 1, context -> {
      throw new RetryLaterException("datanode 1 unreachable", new RuntimeException("timeout"));
    });

    manager.submit(id, StepProcedure.of(world, "p", 3));

    assertThat(finished(manager, id).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(world.executionsOf("p")).containsExactly("0", "1", "1", "1", "2");
    assertThat(sleeps).hasSize(2);
    assertThat(sleeps.get(0)).isBetween(Duration.ofMillis(500), Duration.ofMillis(625));
    assertThat(sleeps.get(1)).isBetween(Duration.ofMillis(1000), Duration.ofMillis(1250));
    assertThat(whileWaiting).containsExactly(
        ProcedureState.retrying("Procedure exec failed: datanode 1 unreachable"),
        ProcedureState.retrying("Procedure exec failed: datanode 1 unreachable: timeout"));
  }

  @Test
  void retriesStopAfterMaxRetryTimesAndTheProcedureFails() throws Exception {
    ProcedureManager manager = manager(kv,
        new ProcedureOptions(3, Duration.ofSeconds(20), ReadableSize.ofKib(1500), 128));
    manager.start();
    for (int i = 0; i < 4; i++) {
      world.on("p", 0, context -> {
        throw new RetryLaterException("busy");
      });
    }

    ProcedureId id = manager.submit(StepProcedure.of(world, "p", 2));
    ProcedureState state = finished(manager, id);

    assertThat(world.executionsOf("p")).containsExactly("0", "0", "0", "0");
    // 20 s, 40 s, then 60 s: the cap; with up to a quarter of noise each
    assertThat(sleeps).hasSize(3);
    assertThat(sleeps.get(0)).isBetween(Duration.ofSeconds(20), Duration.ofSeconds(25));
    assertThat(sleeps.get(1)).isBetween(Duration.ofSeconds(40), Duration.ofSeconds(50));
    assertThat(sleeps.get(2)).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(75));
    assertThat(state).isEqualTo(ProcedureState.failed("Procedure retry exceeded max times,"
        + " procedure_id: " + id + ": Procedure exec failed: busy"));
    assertThat(keys()).isEmpty();
  }

  @Test
  void backoffDelaysAreGreptimeDbsDefaults() {
    RetryBackoff backoff = new RetryBackoff(Duration.ofMillis(500), 12);
    List<Long> millis = new ArrayList<>();
    for (var delay = backoff.next(); delay.isPresent(); delay = backoff.next()) {
      millis.add(delay.get().toMillis());
    }
    assertThat(millis).containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 32000L,
        60000L, 60000L, 60000L, 60000L, 60000L);
  }

  @Test
  void aNonRetryableErrorWritesARollbackRecordRollsBackAndFailsWithTheOriginalError()
      throws Exception {
    ProcedureManager manager = started();
    ProcedureId id = ProcedureId.random();
    List<List<String>> atRollback = new ArrayList<>();
    List<String> rollbackRecord = new ArrayList<>();
    List<ProcedureState> stateAtRollback = new ArrayList<>();
    world.on("p", 1, context -> {
      throw new IllegalStateException("boom", new RuntimeException("disk full"));
    });
    world.onRollback("p", context -> {
      throw new RetryLaterException("not yet");
    });
    world.onRollback("p", context -> {
      atRollback.add(keys());
      rollbackRecord.add(value(id, 1, ProcedureStore.RecordType.ROLLBACK));
      stateAtRollback.add(manager.state(id).orElseThrow());
    });

    manager.submit(id, StepProcedure.of(world, "p", 3).withRollback());
    ProcedureState state = finished(manager, id);

    String error = "Failed to execute procedure due to external error: boom: disk full";
    assertThat(atRollback).containsExactly(
        List.of(id + "/0000000000.step", id + "/0000000001.rollback"));
    assertThat(rollbackRecord).containsExactly("{\"type_name\":\"test::Steps\",\"data\":\""
        + "{\\\"name\\\":\\\"p\\\",\\\"states\\\":3,\\\"state\\\":1,\\\"rollback\\\":true,"
        + "\\\"persist\\\":true,\\\"write\\\":[],\\\"read\\\":[]}\",\"parent_id\":null,"
        + "\"step\":1,\"error\":\"" + error + "\"}");
    assertThat(stateAtRollback).containsExactly(ProcedureState.rollingBack(error));
    assertThat(world.executionsOf("p")).containsExactly("0", "1", "rollback", "rollback");
    // rollback attempts wait first: before writing the record, and before each rollback
    assertThat(sleeps).containsExactly(Duration.ofMillis(500), Duration.ofMillis(1000),
        Duration.ofMillis(2000));
    assertThat(state).isEqualTo(ProcedureState.failed(error));
    assertThat(keys()).isEmpty();
  }

  @Test
  void withoutRollbackSupportAFailedProcedureFailsAtOnceAfterItsRollbackRecord()
      throws Exception {
    ProcedureManager manager = started();
    world.on("p", 0, context -> {
      throw new IllegalArgumentException("bad region");
    });

    ProcedureId id = manager.submit(StepProcedure.of(world, "p", 2));

    assertThat(finished(manager, id)).isEqualTo(ProcedureState.failed(
        "Failed to execute procedure due to external error: bad region"));
    assertThat(world.executionsOf("p")).containsExactly("0");
    assertThat(keys()).isEmpty();
  }

  // ---- admission

  @Test
  void submissionsAreRefusedWhenNotStartedPausedDuplicateOrTooMany() throws Exception {
    ProcedureManager manager = manager(kv,
        new ProcedureOptions(12, Duration.ofMillis(500), ReadableSize.ofKib(1500), 1));
    assertThatThrownBy(() -> manager.submit(StepProcedure.of(world, "a", 1)))
        .isInstanceOfSatisfying(ProcedureException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProcedureException.Kind.MANAGER_NOT_STARTED);
          assertThat(e).hasMessage("Procedure Manager is stopped");
        });
    manager.start();
    CountDownLatch entered = new CountDownLatch(1);
    world.on("a", 0, StepWorld.blockUntil(entered, gate));
    ProcedureId a = manager.submit(StepProcedure.of(world, "a", 1));
    entered.await(30, TimeUnit.SECONDS);

    assertThatThrownBy(() -> manager.submit(StepProcedure.of(world, "b", 1)))
        .isInstanceOfSatisfying(ProcedureException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProcedureException.Kind.TOO_MANY_RUNNING);
          assertThat(e).hasMessage("Too many running procedures, max: 1");
        });
    assertThatThrownBy(() -> manager.submit(a, StepProcedure.of(world, "c", 1)))
        .isInstanceOfSatisfying(ProcedureException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProcedureException.Kind.DUPLICATE);
          assertThat(e).hasMessage("Procedure " + a + " already exists");
        });

    manager.pause();
    gate.countDown();
    assertThat(finished(manager, a).kind())
        .as("a paused manager finishes what it runs").isEqualTo(ProcedureStateKind.Done);
    assertThat(manager.isPaused()).isTrue();
    assertThatThrownBy(() -> manager.submit(StepProcedure.of(world, "d", 1)))
        .isInstanceOfSatisfying(ProcedureException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProcedureException.Kind.PAUSED);
          assertThat(e.getMessage()).contains("paused");
        });
    assertThatThrownBy(() -> manager.submit(a, StepProcedure.of(world, "e", 1)))
        .as("a finished procedure is still known")
        .isInstanceOfSatisfying(ProcedureException.class,
            e -> assertThat(e.kind()).isEqualTo(ProcedureException.Kind.DUPLICATE));

    manager.resume();
    ProcedureId f = manager.submit(StepProcedure.of(world, "f", 1));
    assertThat(finished(manager, f).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(world.executions()).containsExactly("a:0", "f:0");
  }

  // ---- locks

  @Test
  void conflictingProceduresWaitAndRunInSubmissionOrderWhileOthersProceed() throws Exception {
    ProcedureManager manager = started();
    CountDownLatch aEntered = new CountDownLatch(1);
    world.on("a", 0, StepWorld.blockUntil(aEntered, gate));

    ProcedureId a = manager.submit(StepProcedure.of(world, "a", 2).writes(1));
    aEntered.await(30, TimeUnit.SECONDS);
    ProcedureId b = manager.submit(StepProcedure.of(world, "b", 2).writes(1, 2));
    ProcedureId c = manager.submit(StepProcedure.of(world, "c", 2).reads(1));
    ProcedureId other = manager.submit(StepProcedure.of(world, "other", 2).writes(3));
    assertThat(finished(manager, other).kind()).isEqualTo(ProcedureStateKind.Done);

    assertThat(world.executions()).containsExactly("a:0", "other:0", "other:1");
    assertThat(manager.state(b)).contains(ProcedureState.running());
    assertThat(manager.list()).filteredOn(info -> info.id().equals(b)).singleElement()
        .satisfies(info -> assertThat(info.startTimeMs()).as("waiting for locks").isZero());

    gate.countDown();
    finished(manager, c);
    assertThat(world.executions()).containsExactly("a:0", "other:0", "other:1", "a:1", "b:0",
        "b:1", "c:0", "c:1");
    assertThat(manager.locks.lockedKeys()).isZero();
    assertThat(finished(manager, a).kind()).isEqualTo(ProcedureStateKind.Done);
  }

  @Test
  void readersOfAKeyRunTogether() throws Exception {
    ProcedureManager manager = started();
    CountDownLatch both = new CountDownLatch(2);
    world.on("r1", 0, StepWorld.blockUntil(both, gate));
    world.on("r2", 0, StepWorld.blockUntil(both, gate));

    manager.submit(StepProcedure.of(world, "r1", 1).reads(1));
    manager.submit(StepProcedure.of(world, "r2", 1).reads(1));

    assertThat(both.await(30, TimeUnit.SECONDS)).isTrue();
  }

  // ---- stop and recovery

  @Test
  void stopLeavesTheKeysAndANewManagerResumesFromTheLastStepExactlyOnce() throws Exception {
    ProcedureManager first = started();
    CountDownLatch entered = new CountDownLatch(1);
    List<Boolean> stoppingSeen = new ArrayList<>();
    world.on("p", 2, context -> {
      StepWorld.blockUntil(entered, gate).run(context);
      stoppingSeen.add(context.stopping());
    });
    ProcedureId id = first.submit(StepProcedure.of(world, "p", 4).writes(1));
    entered.await(30, TimeUnit.SECONDS);

    first.stop();
    assertThat(finished(first, id))
        .isEqualTo(ProcedureState.failed("Procedure Manager is stopped"));
    gate.countDown();
    await().until(() -> first.locks.lockedKeys() == 0); // its runner has exited
    assertThat(stoppingSeen).containsExactly(true);
    assertThat(keys()).containsExactly(id + "/0000000000.step", id + "/0000000001.step");
    assertThat(first.runningCount()).isZero();

    List<List<String>> seenAtThree = new ArrayList<>();
    List<String> stepOne = new ArrayList<>();
    world.on("p", 3, context -> {
      seenAtThree.add(keys());
      stepOne.add(value(id, 1, ProcedureStore.RecordType.STEP));
    });
    ProcedureManager second = started();

    assertThat(finished(second, id).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(world.executionsOf("p")).containsExactly("0", "1", "2", "2", "3");
    // the resumed runner starts at the newest record's step and overwrites it
    assertThat(seenAtThree).containsExactly(
        List.of(id + "/0000000000.step", id + "/0000000001.step"));
    assertThat(stepOne.get(0)).contains("\\\"state\\\":3").endsWith("\"step\":1}");
    assertThat(keys()).isEmpty();
  }

  @Test
  void theSameManagerStartedAgainResumesWhatItStopped() throws Exception {
    ProcedureManager manager = started();
    CountDownLatch entered = new CountDownLatch(1);
    world.on("p", 1, StepWorld.blockUntil(entered, gate));
    ProcedureId id = manager.submit(StepProcedure.of(world, "p", 3).writes(1));
    entered.await(30, TimeUnit.SECONDS);

    manager.stop();
    manager.start(); // GreptimeDB would log DuplicateProcedure and leave it
    assertThat(manager.state(id)).contains(ProcedureState.running());
    gate.countDown();

    assertThat(finished(manager, id).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(world.executionsOf("p")).containsExactly("0", "1", "1", "2");
    assertThat(keys()).isEmpty();
  }

  @Test
  void rollbackRecordsAreRecoveredFirstAndRollBack() throws Exception {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 0);
    // sorts first in the store, but has to wait: the rolling-back one is submitted first
    ProcedureId running = ProcedureId.parse("00000000-0000-4000-8000-000000000001");
    ProcedureId rolling = ProcedureId.parse("ffffffff-0000-4000-8000-000000000001");
    store.putStep(running, 0, ProcedureMessage.step(StepProcedure.TYPE,
        StepProcedure.of(world, "run", 2).writes(7).dump(), 0));
    String rollingData = StepProcedure.of(world, "back", 3).writes(7).withRollback().dump();
    store.putStep(rolling, 0, ProcedureMessage.step(StepProcedure.TYPE, rollingData, 0));
    store.putRollback(rolling, 1, ProcedureMessage.rollback(StepProcedure.TYPE, rollingData, 1,
        "Failed to execute procedure due to external error: boom"));
    ProcedureId unknownError = ProcedureId.random();
    store.putRollback(unknownError, 0, ProcedureMessage.step(StepProcedure.TYPE,
        StepProcedure.of(world, "unknown", 2).withRollback().dump(), 0));
    List<ProcedureState> states = new ArrayList<>();
    ProcedureManager manager = manager(kv, OPTIONS);
    world.onRollback("back", context -> states.add(manager.state(rolling).orElseThrow()));

    manager.start();

    String error = "Rollback Procedure recovered: "
        + "Failed to execute procedure due to external error: boom";
    assertThat(finished(manager, rolling)).isEqualTo(ProcedureState.failed(error));
    assertThat(states).containsExactly(ProcedureState.rollingBack(error));
    assertThat(finished(manager, running).kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(finished(manager, unknownError))
        .isEqualTo(ProcedureState.failed("Rollback Procedure recovered: Unknown error"));
    assertThat(world.executions()).containsSubsequence("back:rollback", "run:0", "run:1");
    assertThat(world.executionsOf("back")).containsExactly("rollback");
    assertThat(keys()).isEmpty();
  }

  @Test
  void committedProceduresHaveTheirKeysDeletedOnStart() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 0);
    ProcedureId id = ProcedureId.random();
    store.putStep(id, 0, ProcedureMessage.step(StepProcedure.TYPE, "{}", 0));
    store.putCommit(id, 1);

    started();

    assertThat(keys()).isEmpty();
    assertThat(world.executions()).isEmpty();
  }

  @Test
  void unreadableRecordsAreLoggedAndSkippedWithTheirKeysWhileTheOthersRecover()
      throws Exception {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 64);
    ProcedureId good = ProcedureId.random();
    ProcedureId notJson = ProcedureId.random();
    ProcedureId torn = ProcedureId.random();
    ProcedureId noLoader = ProcedureId.random();
    ProcedureId badData = ProcedureId.random();
    store.putStep(good, 0, ProcedureMessage.step(StepProcedure.TYPE,
        StepProcedure.of(world, "good", 2).dump(), 0));
    kv.put(Bytes.utf8(ProcedureStore.key(notJson, 0, ProcedureStore.RecordType.STEP)),
        Bytes.utf8("{not json"));
    store.putStep(torn, 0, ProcedureMessage.step(StepProcedure.TYPE, "x".repeat(300), 0));
    kv.batchDelete(List.of(Bytes.utf8(ProcedureStore.segmentKey(
        ProcedureStore.key(torn, 0, ProcedureStore.RecordType.STEP), 2))), false);
    store.putStep(noLoader, 0, ProcedureMessage.step("metasrv-procedure::Unknown", "{}", 0));
    store.putStep(badData, 0, ProcedureMessage.step(StepProcedure.TYPE, "[]", 0));
    List<String> corruptKeys = new ArrayList<>(keys());
    corruptKeys.removeIf(key -> key.startsWith(good.toString()));

    List<String> errors = errorLogs(() -> {
      ProcedureManager manager = manager(kv, OPTIONS);
      manager.start();
      assertThat(finished(manager, good).kind()).isEqualTo(ProcedureStateKind.Done);
      assertThat(manager.list()).extracting(ProcedureInfo::id).containsExactly(good);
    });

    assertThat(keys()).containsExactlyInAnyOrderElementsOf(corruptKeys);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains(notJson.toString(), "not JSON"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains(torn.toString(),
        "Corrupted segment keys, parsed segment indexes: [1, 3"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("Loader not found",
        noLoader.toString(), "metasrv-procedure::Unknown"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("Failed to load procedure data",
        badData.toString()));
  }

  @Test
  void aWriteThatFindsTheNodeFencedStopsTheProcedureWithoutFurtherWrites() throws Exception {
    FencedKv leader = new FencedKv(kv, epoch -> { });
    leader.acquire(0);
    ProcedureManager manager = manager(leader, OPTIONS);
    manager.start();
    CountDownLatch entered = new CountDownLatch(1);
    world.on("p", 1, StepWorld.blockUntil(entered, gate));
    ProcedureId id = manager.submit(StepProcedure.of(world, "p", 3).writes(1));
    entered.await(30, TimeUnit.SECONDS);

    new FencedKv(kv, epoch -> { }).acquire(0); // a successor takes over
    gate.countDown();

    ProcedureState state = finished(manager, id);
    assertThat(state.kind()).isEqualTo(ProcedureStateKind.Failed);
    assertThat(state.error().orElseThrow()).startsWith("Procedure Manager is stopped: fenced");
    await().until(() -> manager.locks.lockedKeys() == 0);
    assertThat(world.executionsOf("p")).containsExactly("0", "1");
    assertThat(keys()).containsExactly(id + "/0000000000.step");
    assertThat(manager.runningCount()).isZero();
  }

  // ---- forgetting and listing

  @Test
  void finishedProceduresAreForgottenTenMinutesAfterTheyFinish() throws Exception {
    ProcedureManager manager = started();
    ProcedureId id = manager.submit(StepProcedure.of(world, "p", 1));
    finished(manager, id);

    clock.advance(Duration.ofMinutes(10).minusMillis(1));
    assertThat(manager.list()).extracting(ProcedureInfo::id).containsExactly(id);
    assertThat(manager.state(id)).isPresent();

    clock.advance(Duration.ofMillis(1));
    assertThat(manager.list()).isEmpty();
    assertThat(manager.state(id)).isEmpty();
    CompletableFuture<ProcedureState> gone = manager.whenFinished(id);
    assertThatThrownBy(gone::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(ProcedureException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProcedureException.Kind.NOT_FOUND);
          assertThat(e).hasMessage("Procedure not found, procedure_id: " + id);
        });
  }

  @Test
  void eachFinishedProcedureIsForgottenTenMinutesAfterItsOwnFinishAndRunningOnesNever()
      throws Exception {
    ProcedureManager manager = started();
    CountDownLatch entered = new CountDownLatch(1);
    world.on("slow", 0, StepWorld.blockUntil(entered, gate));
    ProcedureId slow = manager.submit(StepProcedure.of(world, "slow", 1));
    entered.await(30, TimeUnit.SECONDS);
    ProcedureId first = manager.submit(StepProcedure.of(world, "first", 1));
    finished(manager, first);
    clock.advance(Duration.ofMinutes(5));
    ProcedureId second = manager.submit(StepProcedure.of(world, "second", 1));
    finished(manager, second);

    clock.advance(Duration.ofMinutes(5));
    assertThat(manager.list()).extracting(ProcedureInfo::id).containsExactly(slow, second);

    clock.advance(Duration.ofMinutes(5));
    assertThat(manager.list()).extracting(ProcedureInfo::id).containsExactly(slow);
    assertThat(manager.state(slow).orElseThrow().kind()).isEqualTo(ProcedureStateKind.Running);

    gate.countDown();
    finished(manager, slow);
    clock.advance(Duration.ofMinutes(10));
    assertThat(manager.list()).isEmpty();
  }

  @Test
  void aGroupCommitOverAnotherStoreIsRefused() {
    assertThatThrownBy(() -> ProcedureManager.builder(kv, OPTIONS)
        .groupCommit(new GroupCommit(new MemoryKv())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("another store");
  }

  @Test
  void metricsCountRunningAndFinishedProcedures() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ProcedureManager manager = ProcedureManager.builder(kv, OPTIONS)
        .meterRegistry(registry).sleeper((delay, wakeUp) -> { }).build();
    closing.add(manager);
    manager.start();
    CountDownLatch entered = new CountDownLatch(1);
    world.on("slow", 0, StepWorld.blockUntil(entered, gate));
    world.on("bad", 0, context -> {
      throw new IllegalStateException("no");
    });
    manager.submit(StepProcedure.of(world, "slow", 1));
    entered.await(30, TimeUnit.SECONDS);
    assertThat(registry.get("metasrv.procedure.running").gauge().value()).isEqualTo(1);

    finished(manager, manager.submit(StepProcedure.of(world, "ok", 1)));
    finished(manager, manager.submit(StepProcedure.of(world, "bad", 1)));

    assertThat(registry.get("metasrv.procedure.finished")
        .tags("type", StepProcedure.TYPE, "state", "Done").counter().count()).isEqualTo(1);
    assertThat(registry.get("metasrv.procedure.finished")
        .tags("type", StepProcedure.TYPE, "state", "Failed").counter().count()).isEqualTo(1);
    assertThat(ProcedureStateKind.Failed.protoNumber()).isEqualTo(3);
    assertThat(ProcedureStateKind.RollingBack.protoNumber()).isEqualTo(5);
  }

  /** A test body that may throw. */
  @FunctionalInterface
  private interface Body {
    void run() throws Exception;
  }

  /** The ERROR lines the manager logged while {@code body} ran, with their exception text. */
  private static List<String> errorLogs(Body body) throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(ProcedureManager.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      body.run();
    } finally {
      logger.detachAppender(logs);
    }
    return logs.list.stream().filter(e -> e.getLevel() == Level.ERROR)
        .map(e -> e.getFormattedMessage()
            + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage()))
        .toList();
  }
}
