package io.metasrv.failure;

import io.metasrv.metadata.RegionId;

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
    return "datanode " + Long.toUnsignedString(datanodeId) + " region "
        + RegionId.display(regionId);
  }
}
