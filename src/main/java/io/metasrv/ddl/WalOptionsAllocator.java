package io.metasrv.ddl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The WAL options of new regions, as GreptimeDB's {@code WalOptionsAllocator} encodes them
 * (reference greptimedb-durable-work.md §7): the JSON text goes into {@code __dn_table}'s
 * {@code region_wal_options} and into the datanode's {@code CreateRequest.options["wal_options"]}.
 */
public interface WalOptionsAllocator {

  String RAFT_ENGINE = "{\"wal.provider\":\"raft_engine\"}";
  String NOOP = "{\"wal.provider\":\"noop\"}";

  /**
   * The options of each region number, in the order given; every region of a {@code skip_wal}
   * table gets {@link #NOOP}.
   *
   * @throws WalOptionsUnavailableException when the WAL cannot take new regions yet (the Kafka
   *     topics of a new leader are still being created); nothing was allocated, ask again later
   */
  Map<Integer, String> allocate(List<Integer> regionNumbers, boolean skipWal);

  /**
   * This node has just become leader: start what allocation needs (the Kafka topic pool) without
   * waiting for it; never fails the leader start for the WAL's sake.
   */
  default void onLeaderStart() {}

  /** This node no longer leads: stop the work {@link #onLeaderStart} began, and wait for it. */
  default void onLeaderStop() {}

  /** The default provider: every region writes its WAL locally with raft-engine. */
  static WalOptionsAllocator raftEngine() {
    return (regionNumbers, skipWal) -> {
      Map<Integer, String> options = new LinkedHashMap<>();
      regionNumbers.forEach(number -> options.put(number, skipWal ? NOOP : RAFT_ENGINE));
      return options;
    };
  }
}
