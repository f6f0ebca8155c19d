package io.metasrv.procedure;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvPages;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Procedure records in the store, in GreptimeDB's layout ({@code store.rs} over {@code
 * KvStateStore}):
 *
 * <pre>
 *   /__procedure__/procedure/{uuid}/{step:010}.step       ProcedureMessage JSON
 *   /__procedure__/procedure/{uuid}/{step:010}.commit     empty
 *   /__procedure__/procedure/{uuid}/{step:010}.rollback   ProcedureMessage JSON with "error"
 * </pre>
 *
 * <p>A value longer than {@code max_metadata_value_size} is cut into chunks of that size: chunk 0
 * at the key, chunk i at {@code {key}/{i:010}}. Reading merges a key with the keys that follow it
 * and start with it, and refuses a record whose segment numbers have a gap ("Corrupted segment
 * keys"). Unlike GreptimeDB, which writes the chunks concurrently, the chunks after the first are
 * written before the key itself, so a write cut short by a crash leaves segments without their
 * key, which reading ignores, rather than a key with missing segments; and segments left over from
 * an older, longer value under the same key are deleted with the write of the key. A record key
 * without stale segments, and the deletion of a new procedure's keys, go through {@link
 * GroupCommit}, together with other writes of the same moment (other procedures' records, DDL
 * metadata).
 */
final class ProcedureStore {
  static final String PREFIX = "/__procedure__/procedure/";
  private static final int PAGE = 128;
  private static final Pattern NAME = Pattern.compile("(\\d{1,10})\\.(step|commit|rollback)");

  /** The suffix of a record key. */
  enum RecordType {
    STEP("step"), COMMIT("commit"), ROLLBACK("rollback");

    private final String suffix;

    RecordType(String suffix) {
      this.suffix = suffix;
    }

    static RecordType of(String suffix) {
      return Arrays.stream(values()).filter(t -> t.suffix.equals(suffix)).findFirst()
          .orElseThrow();
    }
  }

  /** The newest record of one procedure. */
  record StoredRecord(ProcedureId id, long step, RecordType type, String key,
      Optional<ProcedureMessage> message) {}

  /** A newest record that cannot be read; its keys stay. */
  record CorruptRecord(String key, String reason) {}

  /**
   * What a scan found.
   *
   * @param newest the readable newest record of each procedure, in key order
   * @param corrupt newest records that cannot be read
   * @param unknownKeys keys under the prefix that are no record key (e.g. segments whose key is
   *     missing)
   */
  record Scan(List<StoredRecord> newest, List<CorruptRecord> corrupt, List<String> unknownKeys) {}

  private final KvBackend kv;
  private final long maxValueSize;
  private final GroupCommit writes;

  /**
   * @param writes the group commit over the store records are written to
   * @param maxValueSize the chunk size ({@code max_metadata_value_size}), 0 for no chunking
   */
  ProcedureStore(GroupCommit writes, long maxValueSize) {
    this.kv = writes.kv();
    this.writes = writes;
    this.maxValueSize = maxValueSize;
  }

  /** The full key of a record, e.g. {@code /__procedure__/procedure/{uuid}/0000000002.step}. */
  static String key(ProcedureId id, long step, RecordType type) {
    return PREFIX + id + "/" + String.format("%010d", step) + "." + type.suffix;
  }

  /** The key of segment {@code index} (1 and up) of the value at {@code key}. */
  static String segmentKey(String key, int index) {
    return key + "/" + String.format("%010d", index);
  }

  void putStep(ProcedureId id, long step, ProcedureMessage message) {
    write(key(id, step, RecordType.STEP), message.toJson(), null);
  }

  void putCommit(ProcedureId id, long step) {
    write(key(id, step, RecordType.COMMIT), Bytes.EMPTY, null);
  }

  void putRollback(ProcedureId id, long step, ProcedureMessage message) {
    write(key(id, step, RecordType.ROLLBACK), message.toJson(), null);
  }

  /**
   * The writer of one procedure's records, for its runner.
   *
   * @param isNew whether the procedure was submitted on this node under a new id (a random
   *     UUID): then no key under its id exists but those this writer writes. A recovered
   *     procedure's keys include those of earlier leaders.
   */
  Writer writer(ProcedureId id, boolean isNew) {
    return new Writer(id, isNew ? new LinkedHashSet<>() : null);
  }

  /**
   * Writes one procedure's records as {@link ProcedureStore}'s own methods do, with fewer
   * calls when it knows every key under the procedure's id, that is, for a new procedure:
   * writing a key no write of it touched before needs no look for stale segments, and
   * deleting the procedure is one transaction over the keys it wrote (all at once, so no
   * order matters), with no range read, when they fit in {@code max_txn_ops}.
   */
  final class Writer {
    private final ProcedureId id;
    /** Every key a write was attempted at (records and segments); null when not all known. */
    private final Set<String> written;

    private Writer(ProcedureId id, Set<String> written) {
      this.id = id;
      this.written = written;
    }

    void putStep(long step, ProcedureMessage message) {
      write(key(id, step, RecordType.STEP), message.toJson(), written);
    }

    void putCommit(long step) {
      write(key(id, step, RecordType.COMMIT), Bytes.EMPTY, written);
    }

    void putRollback(long step, ProcedureMessage message) {
      write(key(id, step, RecordType.ROLLBACK), message.toJson(), written);
    }

    /**
     * Deletes for every key of the procedure, when this writer knows them all (a new
     * procedure); deleting a key never written is no error.
     */
    Optional<List<TxnOp>> deletions() {
      if (written == null) {
        return Optional.empty();
      }
      List<TxnOp> deletes = new ArrayList<>();
      written.forEach(key -> deletes.add(TxnOp.delete(Bytes.utf8(key))));
      return Optional.of(deletes);
    }

    /** Deletes every key of the procedure (see {@link ProcedureStore#delete}). */
    void deleteAll() {
      Optional<List<TxnOp>> deletes = deletions();
      if (deletes.isEmpty() || deletes.get().size() > kv.limits().maxTxnOps()) {
        delete(id);
      } else if (!deletes.get().isEmpty()) {
        writes.txn(Txn.of(deletes.get()));
      }
    }
  }

  /**
   * Deletes every key of a procedure: its step records (with their segments) first, then the
   * commit or rollback record, so a deletion cut short leaves that record for the next leader.
   */
  void delete(ProcedureId id) {
    String dir = PREFIX + id + "/";
    List<byte[]> steps = new ArrayList<>();
    List<byte[]> others = new ArrayList<>();
    for (KeyValue stored : KvPages.all(kv, Bytes.utf8(dir), PAGE, true)) {
      String name = Bytes.utf8(stored.key()).substring(dir.length());
      int slash = name.indexOf('/');
      String base = slash < 0 ? name : name.substring(0, slash);
      (base.endsWith(".step") ? steps : others).add(stored.key());
    }
    if (!steps.isEmpty()) {
      kv.batchDelete(steps, false);
    }
    if (!others.isEmpty()) {
      kv.batchDelete(others, false);
    }
  }

  /**
   * Reads every procedure's newest record (highest step; on a tie, the first key in order, so a
   * commit or rollback record wins over a step record of the same number).
   */
  Scan scan() {
    List<KeyValue> kvs = KvPages.all(kv, Bytes.utf8(PREFIX), PAGE, false);
    Map<ProcedureId, Candidate> newest = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    int i = 0;
    while (i < kvs.size()) {
      String key = Bytes.utf8(kvs.get(i).key());
      int end = i + 1;
      while (end < kvs.size() && Bytes.utf8(kvs.get(end).key()).startsWith(key)) {
        end++;
      }
      List<KeyValue> group = kvs.subList(i, end);
      i = end;
      Optional<Candidate> parsed = parse(key, group);
      if (parsed.isEmpty()) {
        unknown.add(key);
        continue;
      }
      Candidate candidate = parsed.get();
      newest.merge(candidate.id, candidate, (old, neu) -> neu.step > old.step ? neu : old);
    }
    List<StoredRecord> records = new ArrayList<>();
    List<CorruptRecord> corrupt = new ArrayList<>();
    for (Candidate c : newest.values()) {
      if (c.value == null) {
        corrupt.add(new CorruptRecord(c.key, c.problem));
        continue;
      }
      if (c.type == RecordType.COMMIT) {
        records.add(new StoredRecord(c.id, c.step, c.type, c.key, Optional.empty()));
        continue;
      }
      try {
        records.add(new StoredRecord(c.id, c.step, c.type, c.key,
            Optional.of(ProcedureMessage.fromJson(c.value))));
      } catch (IllegalArgumentException e) {
        corrupt.add(new CorruptRecord(c.key, "not a procedure message: " + e.getMessage()));
      }
    }
    return new Scan(records, corrupt, unknown);
  }

  /** A record key with its merged value, or with the reason it cannot be merged. */
  private record Candidate(ProcedureId id, long step, RecordType type, String key, byte[] value,
      String problem) {}

  private static Optional<Candidate> parse(String key, List<KeyValue> group) {
    String relative = key.substring(PREFIX.length());
    int slash = relative.lastIndexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    Matcher name = NAME.matcher(relative.substring(slash + 1));
    ProcedureId id;
    try {
      id = ProcedureId.parse(relative.substring(0, slash));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!name.matches() || Long.parseLong(name.group(1)) > ProcedureMessage.MAX_STEP) {
      return Optional.empty();
    }
    long step = Long.parseLong(name.group(1));
    RecordType type = RecordType.of(name.group(2));
    try {
      return Optional.of(new Candidate(id, step, type, key, merge(key, group), null));
    } catch (IllegalArgumentException e) {
      return Optional.of(new Candidate(id, step, type, key, null, e.getMessage()));
    }
  }

  /** Concatenates a key's value and its segments in segment order; refuses gaps. */
  private static byte[] merge(String key, List<KeyValue> group) {
    if (group.size() == 1) {
      return group.get(0).value();
    }
    String segmentPrefix = key + "/";
    Map<Integer, byte[]> segments = new HashMap<>();
    for (KeyValue segment : group.subList(1, group.size())) {
      String segmentKey = Bytes.utf8(segment.key());
      String suffix = segmentKey.startsWith(segmentPrefix)
          ? segmentKey.substring(segmentPrefix.length()) : segmentKey.substring(key.length());
      try {
        segments.put(Integer.parseInt(suffix), segment.value());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Failed to parse segment key: " + segmentKey);
      }
    }
    List<Integer> indexes = segments.keySet().stream().sorted().toList();
    if (indexes.get(0) < 1 || indexes.get(indexes.size() - 1) != indexes.size()) {
      throw new IllegalArgumentException(
          "Corrupted segment keys, parsed segment indexes: " + indexes);
    }
    int length = group.get(0).value().length;
    for (byte[] value : segments.values()) {
      length += value.length;
    }
    byte[] merged = Arrays.copyOf(group.get(0).value(), length);
    int at = group.get(0).value().length;
    for (int index : indexes) {
      byte[] value = segments.get(index);
      System.arraycopy(value, 0, merged, at, value.length);
      at += value.length;
    }
    return merged;
  }

  /**
   * @param written the keys written so far under the procedure's id when they are all known
   *     (they are then added to it), else null: any key may have segments left by an earlier
   *     write
   */
  private void write(String key, byte[] value, Set<String> written) {
    List<byte[]> chunks = chunks(value);
    boolean untouched = written != null && !written.contains(key);
    if (written != null) {
      written.add(key);
      for (int i = 1; i < chunks.size(); i++) {
        written.add(segmentKey(key, i));
      }
    }
    List<byte[]> stale = untouched ? List.of() : staleSegments(key, chunks.size());
    for (int i = chunks.size() - 1; i >= 1; i--) {
      kv.put(Bytes.utf8(segmentKey(key, i)), chunks.get(i));
    }
    byte[] keyBytes = Bytes.utf8(key);
    if (stale.isEmpty()) {
      writes.put(keyBytes, chunks.get(0));
    } else if (stale.size() < kv.limits().maxTxnOps()) {
      List<TxnOp> ops = new ArrayList<>();
      ops.add(TxnOp.put(keyBytes, chunks.get(0)));
      stale.forEach(segment -> ops.add(TxnOp.delete(segment)));
      kv.txn(Txn.of(ops));
    } else {
      kv.put(keyBytes, chunks.get(0));
      kv.batchDelete(stale, false);
    }
  }

  private List<byte[]> chunks(byte[] value) {
    if (maxValueSize <= 0 || value.length <= maxValueSize) {
      return List.of(value);
    }
    List<byte[]> chunks = new ArrayList<>();
    for (long from = 0; from < value.length; from += maxValueSize) {
      chunks.add(Arrays.copyOfRange(value, (int) from,
          (int) Math.min(value.length, from + maxValueSize)));
    }
    return chunks;
  }

  /** Segments under {@code key} that a value of {@code chunks} chunks does not overwrite. */
  private List<byte[]> staleSegments(String key, int chunks) {
    String segmentPrefix = key + "/";
    List<byte[]> stale = new ArrayList<>();
    for (KeyValue segment : KvPages.all(kv, Bytes.utf8(segmentPrefix), PAGE, true)) {
      String suffix = Bytes.utf8(segment.key()).substring(segmentPrefix.length());
      boolean overwritten;
      try {
        overwritten = Integer.parseInt(suffix) < chunks;
      } catch (NumberFormatException e) {
        overwritten = false;
      }
      if (!overwritten) {
        stale.add(segment.key());
      }
    }
    return stale;
  }
}
