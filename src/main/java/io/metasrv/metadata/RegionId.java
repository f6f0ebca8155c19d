package io.metasrv.metadata;

/**
 * GreptimeDB's region id, one unsigned 64-bit number: the table id in the high 32 bits, the region
 * number in the low 32 (a region number is a group in its top 8 bits and a sequence in the low 24).
 * Table 1024, region 1 is {@code 4398046511105}.
 */
public final class RegionId {
  private RegionId() {}

  public static long of(long tableId, long regionNumber) {
    return (tableId << 32) | (regionNumber & 0xFFFF_FFFFL);
  }

  public static long tableId(long regionId) {
    return regionId >>> 32;
  }

  public static long regionNumber(long regionId) {
    return regionId & 0xFFFF_FFFFL;
  }

  /**
   * The region id as GreptimeDB displays it in mailbox subjects and logs: {@code
   * 4398046511105(1024, 1)}.
   */
  public static String display(long regionId) {
    return Long.toUnsignedString(regionId)
        + "("
        + tableId(regionId)
        + ", "
        + regionNumber(regionId)
        + ")";
  }
}
