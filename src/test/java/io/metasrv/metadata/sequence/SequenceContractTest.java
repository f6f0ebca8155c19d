package io.metasrv.metadata.sequence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.fence.FencedException;
import io.metasrv.fence.FencedKv;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Sequence} on a store: GreptimeDB's key and value layout, ranges, jumps, and uniqueness
 * under concurrent allocators and a change of leader. Subclasses supply the store, each call a
 * fresh, empty one.
 */
abstract class SequenceContractTest {
  private static final int ALLOCATORS = 16;

  private final ExecutorService pool = Executors.newFixedThreadPool(ALLOCATORS);

  /** A fresh, empty store. */
  protected abstract KvBackend newStore();

  /** How many ids each of the 16 concurrent allocators takes. */
  protected abstract int idsPerAllocator();

  @AfterEach
  void stopPool() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  private static byte[] stored(KvBackend store, String key) {
    return store.get(Bytes.utf8(key)).orElseThrow().value();
  }

  @Test
  void theStoreHoldsTheFirstUnreservedIdAsEightBytesLittleEndian() {
    KvBackend store = newStore();
    Sequence tables = Sequence.tableIds(store);
    Sequence flows = Sequence.flowIds(store);
    Sequence mailbox = Sequence.heartbeatMailbox(store);

    assertThat(tables.next()).isEqualTo(1024);
    assertThat(flows.next()).isEqualTo(1024);
    assertThat(mailbox.next()).isEqualTo(1);

    assertThat(tables.key()).isEqualTo("__meta_seq-table_id");
    // 1034 = 0x040a
    assertThat(stored(store, "__meta_seq-table_id")).containsExactly(0x0a, 0x04, 0, 0, 0, 0, 0, 0);
    assertThat(stored(store, "__meta_seq-flow_id")).containsExactly(0x0a, 0x04, 0, 0, 0, 0, 0, 0);
    assertThat(stored(store, "__meta_seq-heartbeat_mailbox")).containsExactly(101, 0, 0, 0, 0, 0,
        0, 0);
  }

  @Test
  void idsComeOneByOneFromRangesReservedStepByStep() {
    KvBackend store = newStore();
    Sequence tables = Sequence.tableIds(store);

    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      ids.add(tables.next());
    }

    assertThat(ids).first().isEqualTo(1024L);
    assertThat(ids).last().isEqualTo(1048L);
    assertThat(ids).isSorted().doesNotHaveDuplicates();
    assertThat(stored(store, "__meta_seq-table_id")).isEqualTo(Sequence.encode(1054));
  }

  @Test
  void aSecondInstanceStartsAfterTheFirstOnesRangeWhichStaysTheFirstOnes() {
    KvBackend store = newStore();
    Sequence first = Sequence.tableIds(store);
    Sequence second = Sequence.tableIds(store);

    assertThat(first.next()).isEqualTo(1024);
    assertThat(second.next()).isEqualTo(1034);
    assertThat(first.next()).isEqualTo(1025);
  }

  @Test
  void aStoredValueBelowTheInitialIdIsRaisedToIt() {
    KvBackend store = newStore();
    store.put(Bytes.utf8("__meta_seq-s"), Sequence.encode(1));
    assertThat(new Sequence("s", 100, 10, store).next()).isEqualTo(100);

    store.put(Bytes.utf8("__meta_seq-s"), Sequence.encode(200));
    assertThat(new Sequence("s", 100, 10, store).next()).isEqualTo(200);
  }

  @Test
  void peekReadsTheNextRangeStartWithoutReserving() {
    KvBackend store = newStore();
    Sequence tables = Sequence.tableIds(store);
    assertThat(tables.peek()).isEqualTo(1024);
    assertThat(store.get(Bytes.utf8("__meta_seq-table_id"))).isEmpty();

    tables.next();

    assertThat(tables.peek()).isEqualTo(1034);
    assertThat(tables.peek()).isEqualTo(1034);
    assertThat(tables.next()).isEqualTo(1025);
  }

  @Test
  void jumpToMovesForwardOnlyAndDropsTheIdsHeldInMemory() {
    KvBackend store = newStore();
    Sequence tables = Sequence.tableIds(store);

    assertThatThrownBy(() -> tables.jumpTo(1024))
        .isInstanceOf(SequenceJumpRefusedException.class)
        .hasMessage("The next value 1024 is not greater than the current next value 1024");
    tables.jumpTo(1025);
    assertThat(tables.next()).isEqualTo(1025);
    // 1025 is handed out and 1026..1034 are held: the current next value is the stored 1035
    assertThatThrownBy(() -> tables.jumpTo(1030))
        .hasMessage("The next value 1030 is not greater than the current next value 1035");
    assertThat(tables.next()).isEqualTo(1026);

    tables.jumpTo(2048);

    assertThat(tables.peek()).isEqualTo(2048);
    assertThat(tables.next()).as("1027..1034 were dropped").isEqualTo(2048);
    assertThat(Sequence.tableIds(store).next()).as("another instance, e.g. the next leader")
        .isEqualTo(2058);
  }

  @Test
  void aValueThatIsNotEightBytesIsReported() {
    KvBackend store = newStore();
    store.put(Bytes.utf8("__meta_seq-table_id"), Bytes.utf8("1034"));

    assertThatThrownBy(() -> Sequence.tableIds(store).next())
        .isInstanceOf(SequenceException.class)
        .hasMessageStartingWith("Unexpected sequence value: Not a valid u64 for"
            + " '__meta_seq-table_id'");
  }

  @Test
  void anExhaustedSequenceFails() {
    Sequence small = new Sequence("small", 0, 4, 10, newStore());
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(small.next());
    }

    assertThat(ids).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    assertThatThrownBy(small::next)
        .isInstanceOf(SequenceException.class)
        .hasMessage("Failed to get sequence: next sequence exhausted, max: 10");
  }

  @Test
  void sixteenAllocatorsOnTwoInstancesAtOnceNeverShareAnId() throws Exception {
    KvBackend store = newStore();
    assertSixteenAllocatorsNeverShareAnId(Sequence.tableIds(store), Sequence.tableIds(store));
  }

  private void assertSixteenAllocatorsNeverShareAnId(Sequence first, Sequence second)
      throws Exception {
    Sequence[] instances = {first, second};
    AtomicInteger started = new AtomicInteger();

    List<List<Long>> perAllocator = runAllocators(() -> {
      Sequence mine = instances[started.getAndIncrement() % 2];
      List<Long> ids = new ArrayList<>();
      while (ids.size() < idsPerAllocator()) {
        ids.add(mine.next());
      }
      return ids;
    });

    assertUniqueAndIncreasingPerAllocator(perAllocator);
  }

  @Test
  void reservingAheadStoresTheNextRangeOnceHalfIsHandedOutAndKeepsTheIdsInOrder()
      throws Exception {
    KvBackend store = newStore();
    Sequence tables = Sequence.tableIds(store).reservingAhead();
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(tables.next());
    }
    assertThat(stored(store, "__meta_seq-table_id")).isEqualTo(Sequence.encode(1034));

    ids.add(tables.next()); // 1028: 5 of the 10 left, the next range is reserved
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Arrays.equals(stored(store, "__meta_seq-table_id"), Sequence.encode(1044))
        && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(stored(store, "__meta_seq-table_id")).isEqualTo(Sequence.encode(1044));
    assertThat(Sequence.tableIds(store).next()).as("another instance").isEqualTo(1044);
    for (int i = 0; i < 20; i++) {
      ids.add(tables.next());
    }
    assertThat(ids).as("the range reserved ahead, then the one after the other instance's")
        .containsExactlyElementsOf(Stream.concat(LongStream.range(1024, 1044).boxed(),
            LongStream.range(1054, 1059).boxed()).toList());

    tables.jumpTo(2048);
    assertThat(tables.next()).as("what was reserved ahead is dropped").isEqualTo(2048);
  }

  @Test
  void sixteenAllocatorsOnTwoInstancesReservingAheadNeverShareAnId() throws Exception {
    KvBackend store = newStore();
    assertSixteenAllocatorsNeverShareAnId(Sequence.tableIds(store).reservingAhead(),
        Sequence.tableIds(store).reservingAhead());
  }

  @Test
  void sixteenAllocatorsAcrossAChangeOfLeaderNeverShareAnId() throws Exception {
    KvBackend store = newStore();
    FencedKv firstNode = new FencedKv(store, epoch -> { });
    FencedKv secondNode = new FencedKv(store, epoch -> { });
    firstNode.acquire(0);
    Sequence firstLeaders = Sequence.tableIds(firstNode);
    Sequence secondLeaders = Sequence.tableIds(secondNode);
    AtomicReference<Sequence> leader = new AtomicReference<>(firstLeaders);
    LongAdder handedOut = new LongAdder();
    LongAdder refused = new LongAdder();

    List<Future<List<Long>>> running = startAllocators(() -> {
      List<Long> ids = new ArrayList<>();
      while (ids.size() < idsPerAllocator()) {
        try {
          ids.add(leader.get().next());
          handedOut.increment();
        } catch (FencedException e) {
          refused.increment(); // asked the old leader after it was deposed: ask again
        }
      }
      return ids;
    });
    long half = (long) ALLOCATORS * idsPerAllocator() / 2;
    while (handedOut.sum() < half && !running.stream().allMatch(Future::isDone)) {
      Thread.onSpinWait();
    }
    secondNode.acquire(0); // the second node is elected: the first one is fenced
    leader.set(secondLeaders);
    List<List<Long>> perAllocator = collect(running);

    assertUniqueAndIncreasingPerAllocator(perAllocator);
    // the deposed leader may still hand out what it had reserved, then can reserve no more
    assertThatThrownBy(() -> {
      for (int i = 0; i <= 10; i++) {
        firstLeaders.next();
      }
    }).isInstanceOf(FencedException.class);
    System.out.printf("sequence handover on %s: %d ids, %d refused by the fenced old leader%n",
        store.name(), handedOut.sum(), refused.sum());
  }

  private List<Future<List<Long>>> startAllocators(Supplier<List<Long>> allocator) {
    List<Future<List<Long>>> running = new ArrayList<>();
    for (int i = 0; i < ALLOCATORS; i++) {
      running.add(pool.submit(allocator::get));
    }
    return running;
  }

  private List<List<Long>> runAllocators(Supplier<List<Long>> allocator) throws Exception {
    return collect(startAllocators(allocator));
  }

  private static List<List<Long>> collect(List<Future<List<Long>>> running) throws Exception {
    List<List<Long>> results = new ArrayList<>();
    for (Future<List<Long>> future : running) {
      results.add(future.get(120, TimeUnit.SECONDS));
    }
    return results;
  }

  private void assertUniqueAndIncreasingPerAllocator(List<List<Long>> perAllocator) {
    Set<Long> all = new HashSet<>();
    int total = 0;
    for (List<Long> ids : perAllocator) {
      assertThat(ids).hasSize(idsPerAllocator()).isSorted().doesNotHaveDuplicates();
      all.addAll(ids);
      total += ids.size();
    }
    assertThat(total).isEqualTo(ALLOCATORS * idsPerAllocator());
    assertThat(all).as("every id handed out once (duplicates: %d)", total - all.size())
        .hasSize(total);
    assertThat(all).allMatch(id -> id >= 1024);
  }
}
