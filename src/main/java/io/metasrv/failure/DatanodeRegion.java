package io.metasrv.failure;

/**
 * A region as hosted by one datanode: the key of a failure detector. The same region on two
 * datanodes (leader and follower) has two detectors.
 *
 * @param datanodeId the datanode's id
 * @param regionId GreptimeDB's region id: table id in the high 32 bits, region number in the low
 */
public record DatanodeRegion(long datanodeId, long regionId) {

  @Override
  public String toString() {
    return "datanode " + datanodeId + " region " + regionName(regionId);
  }

  /** A region id with its table id and region number: {@code 4398046511111(1024,7)}. */
  public static String regionName(long regionId) {
    return regionId + "(" + (regionId >>> 32) + "," + (regionId & 0xffff_ffffL) + ")";
  }
}
