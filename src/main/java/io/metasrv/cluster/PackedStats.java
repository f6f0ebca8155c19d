package io.metasrv.cluster;

import io.metasrv.kv.ValueOnRead;
import io.metasrv.protocol.RegionRole;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Datanode stats as the leader keeps them between heartbeats: each {@link Stat} packed into a
 * few bytes per region (varints; region ids as the difference from the previous one, which in
 * a datanode's report is mostly 1), about a fifth of its JSON and far less than the records.
 * The value of {@code __meta_datanode_stat-0-{id}} in the leader's view is one of these,
 * written out on read as exactly {@link Stat#encodeAll} writes the stats: every datanode
 * rewrites its value every few heartbeats, and it is read only when a frontend, a selector or
 * the admin routes ask.
 */
public final class PackedStats implements ValueOnRead {
  private final List<byte[]> packed;

  /** @param packed stats as {@link #pack} packs them, oldest first */
  public PackedStats(List<byte[]> packed) {
    this.packed = List.copyOf(packed);
  }

  /** The stats, oldest first. */
  public List<Stat> stats() {
    List<Stat> stats = new ArrayList<>(packed.size());
    packed.forEach(stat -> stats.add(unpack(stat)));
    return stats;
  }

  /** The JSON array of the stats, as {@link Stat#encodeAll} writes it. */
  @Override
  public byte[] bytes() {
    return Stat.encodeAll(stats());
  }

  /** Every field of {@code stat}, for {@link #unpack}. */
  public static byte[] pack(Stat stat) {
    Packer out = new Packer(48 + 24 * stat.regionStats().size());
    out.varint(stat.timestampMillis());
    out.varint(stat.id());
    out.string(stat.addr());
    out.varint(stat.rcus());
    out.varint(stat.wcus());
    out.varint(stat.regionNum());
    out.varint(stat.nodeEpoch());
    out.varint(stat.regionStats().size());
    long previousId = 0;
    for (RegionStat region : stat.regionStats()) {
      out.varint(zigZag(region.id() - previousId));
      previousId = region.id();
      out.varint(region.rcus());
      out.varint(region.wcus());
      out.varint(region.approximateBytes());
      out.string(region.engine());
      out.varint(region.role().getNumber());
      out.varint(region.numRows());
      out.varint(region.memtableSize());
      out.varint(region.manifestSize());
      out.varint(region.sstSize());
      out.varint(region.indexSize());
      out.varint(region.manifestVersion());
    }
    return out.toByteArray();
  }

  /** The stat {@link #pack} packed. */
  public static Stat unpack(byte[] packed) {
    Unpacker in = new Unpacker(packed);
    long timestampMillis = in.varint();
    long id = in.varint();
    String addr = in.string();
    long rcus = in.varint();
    long wcus = in.varint();
    long regionNum = in.varint();
    long nodeEpoch = in.varint();
    int regionCount = (int) in.varint();
    List<RegionStat> regions = new ArrayList<>(regionCount);
    long regionId = 0;
    for (int i = 0; i < regionCount; i++) {
      regionId += unZigZag(in.varint());
      regions.add(new RegionStat(regionId, in.varint(), in.varint(), in.varint(), in.string(),
          RegionRole.forNumber((int) in.varint()), in.varint(), in.varint(), in.varint(),
          in.varint(), in.varint(), in.varint()));
    }
    return new Stat(timestampMillis, id, addr, rcus, wcus, regionNum, regions, nodeEpoch);
  }

  private static long zigZag(long value) {
    return (value << 1) ^ (value >> 63);
  }

  private static long unZigZag(long value) {
    return (value >>> 1) ^ -(value & 1);
  }

  private static final class Packer {
    private byte[] buf;
    private int count;

    Packer(int expectedSize) {
      buf = new byte[expectedSize];
    }

    /** Unsigned LEB128 of all 64 bits: at most 10 bytes. */
    void varint(long value) {
      if (count + 10 > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + 10));
      }
      while ((value & ~0x7FL) != 0) {
        buf[count++] = (byte) ((value & 0x7F) | 0x80);
        value >>>= 7;
      }
      buf[count++] = (byte) value;
    }

    void string(String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      varint(utf8.length);
      if (count + utf8.length > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + utf8.length));
      }
      System.arraycopy(utf8, 0, buf, count, utf8.length);
      count += utf8.length;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, count);
    }
  }

  private static final class Unpacker {
    private final byte[] buf;
    private int position;

    Unpacker(byte[] buf) {
      this.buf = buf;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = buf[position++];
        value |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
    }

    String string() {
      int length = (int) varint();
      String value = new String(buf, position, length, StandardCharsets.UTF_8);
      position += length;
      return value;
    }
  }
}
