package io.metasrv.metadata.sequence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.MemoryKv;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The sequence contract on {@link MemoryKv}, and what a sequence does when the store fails in the
 * middle of a reservation (simulated by a store whose compare-and-put misbehaves on demand).
 */
class SequenceOnMemoryKvTest extends SequenceContractTest {

  /** How the next compare-and-put goes wrong. */
  private enum Fault {
    NONE,
    FAIL_BEFORE_WRITING,
    LOSE_ANSWER_AFTER_WRITING,
    ALWAYS_LOSE_RACE,
    /** Another process reserves 10 ids just before this compare-and-put (once). */
    ANOTHER_RESERVATION_FIRST
  }

  private final MemoryKv memory = new MemoryKv();
  private final AtomicReference<Fault> fault = new AtomicReference<>(Fault.NONE);
  private final AtomicInteger compareAndPuts = new AtomicInteger();

  @Override
  protected KvBackend newStore() {
    return new MemoryKv();
  }

  @Override
  protected int idsPerAllocator() {
    return 500;
  }

  /** {@link #memory} behind a compare-and-put that fails as {@link #fault} says. */
  private KvBackend faulty() {
    return (KvBackend) Proxy.newProxyInstance(KvBackend.class.getClassLoader(),
        new Class<?>[] {KvBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("compareAndPut")) {
            compareAndPuts.incrementAndGet();
            switch (fault.get()) {
              case FAIL_BEFORE_WRITING -> throw new KvUnavailableException("store unreachable",
                  null);
              case LOSE_ANSWER_AFTER_WRITING -> {
                memory.compareAndPut((byte[]) args[0], (byte[]) args[1], (byte[]) args[2]);
                throw new KvUnavailableException("answer lost after the write", null);
              }
              case ALWAYS_LOSE_RACE -> {
                return new CompareAndPutResponse(false, Optional.empty());
              }
              case ANOTHER_RESERVATION_FIRST -> {
                fault.set(Fault.NONE);
                Sequence.tableIds(memory).next();
              }
              case NONE -> { }
            }
          }
          try {
            return method.invoke(memory, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void aReservationThatNeverReachedTheStoreIsRetriedFromTheSameValue() {
    Sequence tables = Sequence.tableIds(faulty());
    fault.set(Fault.FAIL_BEFORE_WRITING);
    assertThatThrownBy(tables::next).isInstanceOf(KvUnavailableException.class);

    fault.set(Fault.NONE);

    assertThat(tables.next()).isEqualTo(1024);
  }

  @Test
  void aReservationWhoseAnswerWasLostIsSkippedNeverHandedOutTwice() {
    Sequence tables = Sequence.tableIds(faulty());
    assertThat(tables.next()).isEqualTo(1024);
    for (int i = 1; i < 10; i++) {
      tables.next();
    }
    fault.set(Fault.LOSE_ANSWER_AFTER_WRITING);
    assertThatThrownBy(tables::next).isInstanceOf(KvUnavailableException.class);
    assertThat(memory.get(Bytes.utf8("__meta_seq-table_id")).orElseThrow().value())
        .as("the write landed: 1034..1043 are reserved, but nobody knows by whom")
        .isEqualTo(Sequence.encode(1044));

    fault.set(Fault.NONE);

    assertThat(tables.next()).as("1034..1043 are skipped").isEqualTo(1044);
    assertThat(tables.next()).isEqualTo(1045);
  }

  @Test
  void aReservationThatKeepsLosingGivesUpAfter1024Attempts() {
    Sequence tables = Sequence.tableIds(faulty());
    fault.set(Fault.ALWAYS_LOSE_RACE);

    assertThatThrownBy(tables::next)
        .isInstanceOf(SequenceException.class)
        .hasMessage("Failed to get sequence: __meta_seq-table_id.next_range()");
    assertThat(compareAndPuts.get()).isEqualTo(Sequence.MAX_ATTEMPTS);
  }

  @Test
  void aJumpRacingWithAnotherReservationIsCheckedAgainstTheValueThatWon() {
    Sequence tables = Sequence.tableIds(faulty());
    tables.next(); // stored: 1034

    // the jump reads 1034, then another process reserves 1034..1043 before the jump writes
    fault.set(Fault.ANOTHER_RESERVATION_FIRST);
    assertThatThrownBy(() -> tables.jumpTo(1040))
        .hasMessage("The next value 1040 is not greater than the current next value 1044");

    fault.set(Fault.ANOTHER_RESERVATION_FIRST);
    tables.jumpTo(1100);

    assertThat(tables.next()).isEqualTo(1100);
  }
}
