package io.metasrv.procedure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.kv.TxnOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A test procedure that runs states 0 .. {@code states - 1}, persisting after each (unless told
 * not to) and finishing with its name as output. What each state does beyond that is scripted
 * in a {@link StepWorld}, which also records every execution as {@code name:state}. Its dump
 * carries everything needed to load it again.
 */
final class StepProcedure implements Procedure {
  static final String TYPE = "test::Steps";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StepWorld world;
  private final String name;
  private final int states;
  private final List<Long> writeTables;
  private final List<Long> readTables;
  private final boolean rollbackSupported;
  private final boolean persist;
  private final boolean deletesRecords;
  private int state;

  private StepProcedure(StepWorld world, String name, int states, List<Long> writeTables,
      List<Long> readTables, boolean rollbackSupported, boolean persist, int state) {
    this(world, name, states, writeTables, readTables, rollbackSupported, persist, false, state);
  }

  private StepProcedure(StepWorld world, String name, int states, List<Long> writeTables,
      List<Long> readTables, boolean rollbackSupported, boolean persist, boolean deletesRecords,
      int state) {
    this.deletesRecords = deletesRecords;
    this.world = world;
    this.name = name;
    this.states = states;
    this.writeTables = writeTables;
    this.readTables = readTables;
    this.rollbackSupported = rollbackSupported;
    this.persist = persist;
    this.state = state;
  }

  /** A builder-ish start: {@code StepProcedure.of(world, "a", 3).writes(1)}. */
  static StepProcedure of(StepWorld world, String name, int states) {
    return new StepProcedure(world, name, states, List.of(), List.of(), false, true, 0);
  }

  StepProcedure writes(long... tableIds) {
    return new StepProcedure(world, name, states, longs(tableIds), readTables, rollbackSupported,
        persist, state);
  }

  StepProcedure reads(long... tableIds) {
    return new StepProcedure(world, name, states, writeTables, longs(tableIds), rollbackSupported,
        persist, state);
  }

  StepProcedure withRollback() {
    return new StepProcedure(world, name, states, writeTables, readTables, true, persist, state);
  }

  StepProcedure withoutPersisting() {
    return new StepProcedure(world, name, states, writeTables, readTables, rollbackSupported,
        false, state);
  }

  /**
   * The last state deletes the procedure's records in a transaction of the world's ({@link
   * StepWorld#finalTransaction}) when the runner offers their deletions, as CreateTable's
   * metadata transaction does.
   */
  StepProcedure deletingRecordsAtTheEnd() {
    return new StepProcedure(world, name, states, writeTables, readTables, rollbackSupported,
        persist, true, state);
  }

  static ProcedureLoader loader(StepWorld world) {
    return data -> {
      JsonNode node = JSON.readTree(data);
      return new StepProcedure(world, node.get("name").asText(), node.get("states").asInt(),
          longs(node.get("write")), longs(node.get("read")), node.get("rollback").asBoolean(),
          node.get("persist").asBoolean(), node.path("deletes_records").asBoolean(),
          node.get("state").asInt());
    };
  }

  @Override
  public String typeName() {
    return TYPE;
  }

  @Override
  public Status execute(ProcedureContext context) throws Exception {
    world.executed(name + ":" + state);
    world.script(name, state).run(context);
    state++;
    if (state == states) {
      Optional<List<TxnOp>> deletions = context.recordDeletions();
      if (deletesRecords && deletions.isPresent()) {
        world.finalTransaction(deletions.get());
        return Status.doneWithRecordsDeleted(name);
      }
      return Status.done(name);
    }
    return Status.executing(persist);
  }

  @Override
  public String dump() {
    ObjectNode node = JSON.createObjectNode();
    node.put("name", name).put("states", states).put("state", state)
        .put("rollback", rollbackSupported).put("persist", persist);
    if (deletesRecords) {
      node.put("deletes_records", true);
    }
    writeTables.forEach(node.putArray("write")::add);
    readTables.forEach(node.putArray("read")::add);
    return node.toString();
  }

  @Override
  public LockKeys lockKeys() {
    List<LockKey> keys = new ArrayList<>();
    writeTables.forEach(id -> keys.add(LockKey.tableWrite(id)));
    readTables.forEach(id -> keys.add(LockKey.tableRead(id)));
    return new LockKeys(keys);
  }

  @Override
  public boolean rollbackSupported() {
    return rollbackSupported;
  }

  @Override
  public void rollback(ProcedureContext context) throws Exception {
    world.executed(name + ":rollback");
    world.script(name, -1).run(context);
  }

  private static List<Long> longs(long... values) {
    return java.util.Arrays.stream(values).boxed().toList();
  }

  private static List<Long> longs(JsonNode array) {
    List<Long> values = new ArrayList<>();
    if (array != null) {
      array.forEach(v -> values.add(v.asLong()));
    }
    return values;
  }
}
