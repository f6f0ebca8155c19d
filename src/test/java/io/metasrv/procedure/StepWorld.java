package io.metasrv.procedure;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** What {@link StepProcedure}s do in a test, and what they did. */
final class StepWorld {
  /** What a state does when executed (or rolled back, state -1). */
  @FunctionalInterface
  interface Script {
    void run(ProcedureContext context) throws Exception;
  }

  private final List<String> executions = new ArrayList<>(); // guarded by this
  private final Map<String, Deque<Script>> scripts = new HashMap<>(); // guarded by this
  private final List<List<String>> finalTransactions = new ArrayList<>(); // guarded by this
  private volatile KvBackend store;

  /** The store final transactions run on. */
  StepWorld store(KvBackend store) {
    this.store = store;
    return this;
  }

  /** Runs a last state's transaction of record deletions on the store, and records its keys. */
  void finalTransaction(List<TxnOp> deletions) {
    store.txn(Txn.of(deletions));
    synchronized (this) {
      finalTransactions.add(deletions.stream().map(op -> Bytes.utf8(op.key())).toList());
    }
  }

  /** The keys each final transaction deleted. */
  synchronized List<List<String>> finalTransactions() {
    return List.copyOf(finalTransactions);
  }

  synchronized void executed(String what) {
    executions.add(what);
  }

  synchronized List<String> executions() {
    return List.copyOf(executions);
  }

  /** The executions of one procedure, without its name: {@code 0, 1, rollback}. */
  synchronized List<String> executionsOf(String name) {
    return executions.stream().filter(e -> e.startsWith(name + ":"))
        .map(e -> e.substring(name.length() + 1)).toList();
  }

  /** Runs {@code script} the next time state {@code state} of {@code name} executes. */
  synchronized StepWorld on(String name, int state, Script script) {
    scripts.computeIfAbsent(name + ":" + state, k -> new ArrayDeque<>()).addLast(script);
    return this;
  }

  /** Runs {@code script} when {@code name} rolls back. */
  StepWorld onRollback(String name, Script script) {
    return on(name, -1, script);
  }

  synchronized Script script(String name, int state) {
    Deque<Script> queue = scripts.get(name + ":" + state);
    return queue == null || queue.isEmpty() ? context -> { } : queue.pollFirst();
  }

  /** A script that blocks until the gate opens (at most 30 s, so a broken test ends). */
  static Script blockUntil(CountDownLatch entered, CountDownLatch gate) {
    return context -> {
      entered.countDown();
      if (!gate.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("test gate never opened");
      }
    };
  }
}
