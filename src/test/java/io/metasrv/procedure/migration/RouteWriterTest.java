package io.metasrv.procedure.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnResponse;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRoutes;
import io.metasrv.testing.ForwardingKv;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Route writes of migrations side by side, on a memory store whose first write can be held. */
class RouteWriterTest {
  private static final long TABLE = 1024;
  private static final int REGIONS = 20;
  private static final Peer DN1 = new Peer(1, "10.0.0.1:4001");
  private static final Peer DN2 = new Peer(2, "10.0.0.2:4001");
  private static final RegionInfo INFO = new RegionInfo("mito2", "greptime/public", Map.of(),
      Map.of());

  private final GatedKv kv = new GatedKv();
  private final TableRoutes routes = new TableRoutes(kv);
  private final RouteWriter writer = new RouteWriter(routes);
  private final ExecutorService threads = Executors.newCachedThreadPool();

  RouteWriterTest() {
    List<RegionRoute> led = new ArrayList<>();
    List<Long> numbers = new ArrayList<>();
    for (long number = 1; number <= REGIONS; number++) {
      led.add(RegionRoute.led(Region.of(RegionId.of(TABLE, number)), DN1));
      numbers.add(number);
    }
    kv.memory.put(new TableRouteKey(TABLE).toBytes(), PhysicalTableRouteValue.of(led).encode());
    kv.memory.put(new DatanodeTableKey(1, TABLE).toBytes(),
        DatanodeTableValue.of(TABLE, numbers, INFO).encode());
  }

  @AfterEach
  void stopThreads() {
    kv.release.countDown();
    kv.secondRelease.countDown();
    threads.shutdownNow();
  }

  private static RouteWriter.RegionChange moveTo(Peer target) {
    return route -> route.ledBy(target.id()) ? Optional.empty()
        : Optional.of(RegionRoute.led(route.region(), target));
  }

  private Future<Boolean> move(long number) {
    return threads.submit(() -> writer.update(TABLE, RegionId.of(TABLE, number), moveTo(DN2),
        INFO));
  }

  private List<RegionRoute> stored() {
    return routes.physical(TABLE).orElseThrow().value().regionRoutes();
  }

  @Test
  void changesAskedForWhileAWriteIsInFlightLandTogetherInTheNextWrite() throws Exception {
    kv.holdFirstTxn = true;
    Future<Boolean> first = move(1);
    assertThat(kv.held.await(30, TimeUnit.SECONDS)).isTrue();
    List<Future<Boolean>> others = new ArrayList<>();
    for (long number = 2; number <= REGIONS; number++) {
      others.add(move(number));
    }
    Future<Boolean> unexpected = threads.submit(() -> writer.update(TABLE,
        RegionId.of(TABLE, 3), route -> {
          throw new MigrationException("region 3 is not as expected");
        }, null));
    await().atMost(Duration.ofSeconds(30)).until(() -> writer.waiting(TABLE) == REGIONS);
    kv.release.countDown();

    assertThat(first.get(30, TimeUnit.SECONDS)).isTrue();
    for (Future<Boolean> other : others) {
      assertThat(other.get(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThatThrownBy(() -> unexpected.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(MigrationException.class).hasMessageContaining("region 3");
    assertThat(kv.txns).as("one write for the first, one for the 19 that waited").hasValue(2);
    assertThat(stored()).allMatch(route -> route.ledBy(2));
    assertThat(routes.datanodeTable(2, TABLE).orElseThrow().regions()).hasSize(REGIONS);
    assertThat(routes.datanodeTable(1, TABLE)).isEmpty();

    assertThat(move(5).get(30, TimeUnit.SECONDS)).as("nothing left to change").isFalse();
    assertThat(kv.txns).hasValue(2);
  }

  @Test
  void aCallerReturnsOnceItsOwnBatchIsWrittenNotAfterTheBatchesGatheredMeanwhile()
      throws Exception {
    kv.holdFirstTxn = true;
    kv.holdSecondTxn = true;
    Future<Boolean> first = move(1);
    assertThat(kv.held.await(30, TimeUnit.SECONDS)).isTrue();
    Future<Boolean> second = move(2);
    Future<Boolean> third = move(3);
    await().atMost(Duration.ofSeconds(30)).until(() -> writer.waiting(TABLE) == 2);

    kv.release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS))
        .as("returned while the next batch's write is held").isTrue();
    assertThat(kv.secondHeld.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(second.isDone() || third.isDone()).isFalse();

    kv.secondRelease.countDown();
    assertThat(second.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(third.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kv.txns).hasValue(2);
    assertThat(stored().subList(0, 3)).allMatch(route -> route.ledBy(2));
    assertThat(move(4).get(30, TimeUnit.SECONDS)).as("the next writer starts afresh").isTrue();
  }

  @Test
  void aWriteByAnotherWriterIsSeenAndEveryChangeAppliedAgainOnTopOfIt() throws Exception {
    kv.holdFirstTxn = true;
    Future<Boolean> downgrading = threads.submit(() -> writer.update(TABLE,
        RegionId.of(TABLE, 1), route -> Optional.of(route.downgradingSince(1_000)), null));
    assertThat(kv.held.await(30, TimeUnit.SECONDS)).isTrue();
    // another writer (DDL, a previous leader) moves region 2 meanwhile
    List<RegionRoute> changed = new ArrayList<>(stored());
    changed.set(1, RegionRoute.led(changed.get(1).region(), DN2));
    kv.memory.put(new TableRouteKey(TABLE).toBytes(),
        PhysicalTableRouteValue.of(changed).encode());
    kv.release.countDown();

    assertThat(downgrading.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kv.txns).as("the compare failed once, then the change landed").hasValue(2);
    assertThat(stored().get(0).leaderDowngrading()).isTrue();
    assertThat(stored().get(1).ledBy(2)).as("the other writer's change is kept").isTrue();
  }

  @Test
  void aMissingRegionOrTableIsRefusedAsAMigrationError() {
    assertThatThrownBy(() -> writer.update(TABLE, RegionId.of(TABLE, 99), moveTo(DN2), INFO))
        .isInstanceOf(MigrationException.class).hasMessageContaining("Region route not found");
    assertThatThrownBy(() -> writer.update(2048, RegionId.of(2048, 1), moveTo(DN2), INFO))
        .isInstanceOf(MigrationException.class)
        .hasMessage("Table route not found: 2048");
    assertThat(kv.txns).hasValue(0);
  }

  /**
   * A memory store that counts transactions and, when asked, holds the first, or the second,
   * until released.
   */
  private static final class GatedKv extends ForwardingKv {
    final MemoryKv memory;
    final AtomicInteger txns = new AtomicInteger();
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch secondHeld = new CountDownLatch(1);
    final CountDownLatch secondRelease = new CountDownLatch(1);
    volatile boolean holdFirstTxn;
    volatile boolean holdSecondTxn;

    GatedKv() {
      this(new MemoryKv());
    }

    private GatedKv(MemoryKv memory) {
      super(memory);
      this.memory = memory;
    }

    @Override
    public TxnResponse txn(Txn txn) {
      int number = txns.incrementAndGet();
      if (number == 1 && holdFirstTxn) {
        hold(held, release);
      } else if (number == 2 && holdSecondTxn) {
        hold(secondHeld, secondRelease);
      }
      return memory.txn(txn);
    }

    private static void hold(CountDownLatch entered, CountDownLatch released) {
      entered.countDown();
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
