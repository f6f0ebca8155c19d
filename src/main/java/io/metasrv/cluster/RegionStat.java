package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.UnsignedLongJson.U64;
import io.metasrv.protocol.RegionRole;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One region's statistics in a {@link Stat}, every field required, in GreptimeDB's order. {@code
 * role} is the role the datanode reported, written {@code "Leader"}, {@code "Follower"} or {@code
 * "DowngradingLeader"}. The last six fields come from the {@code __region_statistic} extension of
 * the heartbeat's region stat.
 */
public record RegionStat(
    @JsonProperty(value = "id", required = true) @U64 long id,
    @JsonProperty(value = "rcus", required = true) long rcus,
    @JsonProperty(value = "wcus", required = true) long wcus,
    @JsonProperty(value = "approximate_bytes", required = true) long approximateBytes,
    @JsonProperty(value = "engine", required = true) String engine,
    @JsonProperty(value = "role", required = true) RegionRole role,
    @JsonProperty(value = "num_rows", required = true) long numRows,
    @JsonProperty(value = "memtable_size", required = true) long memtableSize,
    @JsonProperty(value = "manifest_size", required = true) long manifestSize,
    @JsonProperty(value = "sst_size", required = true) long sstSize,
    @JsonProperty(value = "index_size", required = true) long indexSize,
    @JsonProperty(value = "manifest_version", required = true) long manifestVersion) {

  /** The extension of a heartbeat's region stat that holds the region statistic JSON. */
  public static final String REGION_STATISTIC_KEY = "__region_statistic";

  // The fields of GreptimeDB's RegionStatistic read, as indexes into what they are read to
  // (wal_size, at 2, is checked but not kept).
  private static final int NUM_ROWS = 0;
  private static final int MEMTABLE_SIZE = 1;
  private static final int MANIFEST_SIZE = 3;
  private static final int SST_SIZE = 4;
  private static final int INDEX_SIZE = 5;
  private static final int MANIFEST_VERSION = 6;
  private static final String[] STATISTIC_FIELDS = {"num_rows", "memtable_size", "wal_size",
      "manifest_size", "sst_size", "index_size", "manifest_version"};
  private static final byte[][] STATISTIC_FIELD_BYTES = Arrays.stream(STATISTIC_FIELDS)
      .map(name -> name.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
  private static final boolean[] STATISTIC_FIELD_REQUIRED =
      {false, true, true, true, true, false, false};
  private static final long[] ABSENT_STATISTIC = new long[STATISTIC_FIELDS.length];
  private static final byte[] REGION_STATISTIC_KEY_BYTES =
      REGION_STATISTIC_KEY.getBytes(StandardCharsets.UTF_8);
  private static final long NOT_THE_STATISTIC = -1;
  // Tags (field number << 3 | wire type) of RegionStat's fields and of its map entries'.
  private static final int REGION_ID_TAG = 1 << 3;
  private static final int RCUS_TAG = 2 << 3;
  private static final int WCUS_TAG = 3 << 3;
  private static final int APPROXIMATE_BYTES_TAG = 4 << 3;
  private static final int ENGINE_TAG = 6 << 3 | 2;
  private static final int ROLE_TAG = 7 << 3;
  private static final int EXTENSIONS_TAG = 99 << 3 | 2;
  private static final int ENTRY_KEY_TAG = 1 << 3 | 2;
  private static final int ENTRY_VALUE_TAG = 2 << 3 | 2;

  public RegionStat {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(role, "role");
    if (role == RegionRole.UNRECOGNIZED) {
      throw new IllegalArgumentException("unknown region role");
    }
  }

  /**
   * Reads region stats as GreptimeDB's leader builds them from a heartbeat, straight from the
   * bytes of {@code greptime.v1.meta.RegionStat} messages as the generated parser reads them,
   * without building the message and its extension map: every datanode sends one per region in
   * every heartbeat. An unknown role is read as Leader (prost's default), and a missing or
   * undecodable {@code __region_statistic} extension gives zeros; of an extension named twice
   * the last counts, as in a map. One reader serves one thread: it keeps what reading one region
   * needs for the next (the statistic's arrays, the last engine name).
   */
  public static final class Reader {
    private final long[] values = new long[STATISTIC_FIELDS.length];
    private final boolean[] present = new boolean[STATISTIC_FIELDS.length];
    private byte[] engineBytes = new byte[0];
    private String engine = "";

    /**
     * The region stat in {@code message[offset, offset + length)}.
     *
     * @throws InvalidProtocolBufferException where the generated parser would throw
     */
    public RegionStat read(byte[] message, int offset, int length)
        throws InvalidProtocolBufferException {
      CodedInputStream in = CodedInputStream.newInstance(message, offset, length);
      long regionId = 0;
      long rcus = 0;
      long wcus = 0;
      long approximateBytes = 0;
      String regionEngine = "";
      int role = 0;
      int statisticOffset = -1;
      int statisticLength = 0;
      try {
        while (true) {
          int tag = in.readTag();
          switch (tag) {
            case 0 -> {
              RegionRole known = RegionRole.forNumber(role);
              long[] statistic = statisticOffset < 0 ? ABSENT_STATISTIC
                  : statistic(message, statisticOffset, statisticLength);
              return new RegionStat(regionId, rcus, wcus, approximateBytes, regionEngine,
                  known == null ? RegionRole.Leader : known,
                  statistic[NUM_ROWS], statistic[MEMTABLE_SIZE], statistic[MANIFEST_SIZE],
                  statistic[SST_SIZE], statistic[INDEX_SIZE], statistic[MANIFEST_VERSION]);
            }
            case REGION_ID_TAG -> regionId = in.readUInt64();
            case RCUS_TAG -> rcus = in.readInt64();
            case WCUS_TAG -> wcus = in.readInt64();
            case APPROXIMATE_BYTES_TAG -> approximateBytes = in.readInt64();
            case ENGINE_TAG -> {
              int engineLength = in.readRawVarint32();
              int engineOffset = offset + in.getTotalBytesRead();
              in.skipRawBytes(engineLength);
              regionEngine = engine(message, engineOffset, engineLength);
            }
            case ROLE_TAG -> role = in.readEnum();
            case EXTENSIONS_TAG -> {
              int entryLength = in.readRawVarint32();
              int entryOffset = offset + in.getTotalBytesRead();
              in.skipRawBytes(entryLength);
              long value = statisticValue(message, entryOffset, entryLength);
              if (value != NOT_THE_STATISTIC) {
                statisticOffset = (int) (value >>> 32);
                statisticLength = (int) value;
              }
            }
            default -> {
              if (!in.skipField(tag)) {
                throw new InvalidProtocolBufferException(
                    "Protocol message end-group tag did not match expected tag.");
              }
            }
          }
        }
      } catch (InvalidProtocolBufferException e) {
        throw e;
      } catch (IOException e) {
        throw new InvalidProtocolBufferException(e);
      }
    }

    /** The engine name in {@code bytes[offset, offset + length)}: the last one again, mostly. */
    private String engine(byte[] bytes, int offset, int length)
        throws InvalidProtocolBufferException {
      if (!Arrays.equals(bytes, offset, offset + length, engineBytes, 0, engineBytes.length)) {
        if (!UnsafeByteOperations.unsafeWrap(bytes, offset, length).isValidUtf8()) {
          throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
        }
        engineBytes = Arrays.copyOfRange(bytes, offset, offset + length);
        engine = new String(engineBytes, StandardCharsets.UTF_8);
      }
      return engine;
    }

    /**
     * GreptimeDB's {@code RegionStatistic}: {@code memtable_size}, {@code wal_size}, {@code
     * manifest_size} and {@code sst_size} are required unsigned integers, the others default to
     * 0. Anything else makes the whole statistic count as absent (all zeros). Indexed by the
     * field constants above; the array returned is this reader's or shared, read it at once.
     *
     * <p>Datanodes send it as serde_json writes the struct: a flat object of unsigned integers.
     * That form is read by {@link FlatUnsignedJson} without building a tree; anything else is
     * read as a tree.
     */
    private long[] statistic(byte[] json, int offset, int length) {
      Arrays.fill(values, 0);
      Arrays.fill(present, false);
      if (!FlatUnsignedJson.read(json, offset, offset + length, STATISTIC_FIELD_BYTES, values,
          present)) {
        return regionStatisticFromTree(json, offset, length);
      }
      for (int field = 0; field < STATISTIC_FIELDS.length; field++) {
        if (STATISTIC_FIELD_REQUIRED[field] && !present[field]) {
          return ABSENT_STATISTIC;
        }
      }
      return values;
    }
  }

  /**
   * The value of an extension map entry ({@code entry[offset, offset + length)}) if its key is
   * {@link #REGION_STATISTIC_KEY}, as its offset in the high and its length in the low 32 bits;
   * {@link #NOT_THE_STATISTIC} for any other key. An entry without a value has an empty one.
   */
  private static long statisticValue(byte[] entry, int offset, int length)
      throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(entry, offset, length);
    boolean isStatistic = false;
    int valueOffset = offset;
    int valueLength = 0;
    while (true) {
      int tag = in.readTag();
      switch (tag) {
        case 0 -> {
          return isStatistic ? ((long) valueOffset << 32) | valueLength : NOT_THE_STATISTIC;
        }
        case ENTRY_KEY_TAG -> {
          int keyLength = in.readRawVarint32();
          int keyOffset = offset + in.getTotalBytesRead();
          in.skipRawBytes(keyLength);
          isStatistic = Arrays.equals(entry, keyOffset, keyOffset + keyLength,
              REGION_STATISTIC_KEY_BYTES, 0, REGION_STATISTIC_KEY_BYTES.length);
          if (!isStatistic
              && !UnsafeByteOperations.unsafeWrap(entry, keyOffset, keyLength).isValidUtf8()) {
            throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
          }
        }
        case ENTRY_VALUE_TAG -> {
          valueLength = in.readRawVarint32();
          valueOffset = offset + in.getTotalBytesRead();
          in.skipRawBytes(valueLength);
        }
        default -> {
          if (!in.skipField(tag)) {
            throw new InvalidProtocolBufferException(
                "Protocol message end-group tag did not match expected tag.");
          }
        }
      }
    }
  }

  private static long[] regionStatisticFromTree(byte[] json, int offset, int length) {
    JsonNode tree;
    try {
      tree = SerdeJson.MAPPER.readTree(json, offset, length);
    } catch (IOException e) {
      return ABSENT_STATISTIC;
    }
    if (tree == null || !tree.isObject()) {
      return ABSENT_STATISTIC;
    }
    long[] values = new long[STATISTIC_FIELDS.length];
    for (int field = 0; field < STATISTIC_FIELDS.length; field++) {
      JsonNode value = tree.get(STATISTIC_FIELDS[field]);
      if (value == null && !STATISTIC_FIELD_REQUIRED[field]) {
        continue;
      }
      if (!unsigned(value)) {
        return ABSENT_STATISTIC;
      }
      values[field] = value.longValue();
    }
    return values;
  }

  private static boolean unsigned(JsonNode value) {
    return value != null
        && value.isIntegralNumber()
        && value.canConvertToLong()
        && value.longValue() >= 0;
  }
}
