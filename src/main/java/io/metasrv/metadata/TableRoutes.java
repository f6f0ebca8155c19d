package io.metasrv.metadata;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvPages;
import io.metasrv.kv.SharedGets;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * Reads and updates physical table routes as GreptimeDB's {@code TableMetadataManager} does: every
 * update is a compare on the bytes read ({@link ValueWithBytes}), the new value carries {@code
 * version + 1}, and when the compare fails the update still counts as done if the stored value is
 * exactly what it meant to write (a retry of an update that landed).
 */
public final class TableRoutes {
  private static final int ROUTES_PAGE = 128;

  private final KvBackend kv;
  private final SharedGets datanodeTables;

  /** @param kv the store; the leader passes its fenced store */
  public TableRoutes(KvBackend kv) {
    this.kv = kv;
    this.datanodeTables = new SharedGets(kv);
  }

  /**
   * The physical route of a table.
   *
   * @return empty when the table has no route
   * @throws InvalidMetadataException when the route is logical or cannot be decoded
   */
  public Optional<ValueWithBytes<PhysicalTableRouteValue>> physical(long tableId) {
    return kv.get(new TableRouteKey(tableId).toBytes()).map(stored ->
        ValueWithBytes.decode(stored.value(), bytes -> {
          TableRouteValue route = TableRouteValue.decode(bytes);
          if (route instanceof PhysicalTableRouteValue physical) {
            return physical;
          }
          throw new InvalidMetadataException("table " + tableId + " has a logical route; "
              + "its regions belong to physical table "
              + ((LogicalTableRouteValue) route).physicalTableId());
        }));
  }

  /**
   * Every physical route in the store, read a page at a time. Logical routes (their regions
   * belong to a physical table) are left out; so is a route that cannot be decoded, whose key
   * and reason go to {@code undecodable}.
   */
  public List<PhysicalTableRouteValue> allPhysical(
      BiConsumer<String, InvalidMetadataException> undecodable) {
    List<PhysicalTableRouteValue> routes = new ArrayList<>();
    for (KeyValue stored : KvPages.all(kv, TableRouteKey.rangePrefix(), ROUTES_PAGE, false)) {
      try {
        if (TableRouteValue.decode(stored.value()) instanceof PhysicalTableRouteValue physical) {
          routes.add(physical);
        }
      } catch (InvalidMetadataException e) {
        undecodable.accept(Bytes.utf8(stored.key()), e);
      }
    }
    return routes;
  }

  /**
   * The {@code __dn_table/{datanode}/{table}} value of a datanode, when it has one; callers asking
   * for the same value at once (the migrations of a failed datanode's regions) share a read.
   */
  public Optional<DatanodeTableValue> datanodeTable(long datanodeId, long tableId) {
    return datanodeTables.get(new DatanodeTableKey(datanodeId, tableId).toBytes())
        .map(stored -> DatanodeTableValue.decode(stored.value()));
  }

  /**
   * Replaces the route's region routes without touching {@code __dn_table} (GreptimeDB's {@code
   * update_leader_region_status}: marking or clearing a downgrading leader).
   *
   * @return whether the stored route is now the updated one; false when someone else changed it
   */
  public boolean updateLeaderState(long tableId, ValueWithBytes<PhysicalTableRouteValue> current,
      List<RegionRoute> newRoutes) {
    byte[] updated = current.value().update(newRoutes).encode();
    return commit(tableId, current, updated, List.of());
  }

  /**
   * Replaces the route's region routes and rewrites {@code __dn_table} in the same transaction
   * (GreptimeDB's {@code update_table_route}): datanodes that no longer lead a region of the table
   * lose their value, datanodes whose led regions changed get a new one with {@code regionInfo}.
   *
   * @return whether the stored route is now the updated one; false when someone else changed it
   */
  public boolean updateRoutes(long tableId, ValueWithBytes<PhysicalTableRouteValue> current,
      List<RegionRoute> newRoutes, RegionInfo regionInfo) {
    Map<Long, TreeSet<Long>> before = ledRegionNumbers(current.value().regionRoutes());
    Map<Long, TreeSet<Long>> after = ledRegionNumbers(newRoutes);
    List<TxnOp> datanodeTables = new ArrayList<>();
    for (Long datanodeId : before.keySet()) {
      if (!after.containsKey(datanodeId)) {
        datanodeTables.add(TxnOp.delete(new DatanodeTableKey(datanodeId, tableId).toBytes()));
      }
    }
    after.forEach((datanodeId, regions) -> {
      if (!regions.equals(before.get(datanodeId))) {
        datanodeTables.add(TxnOp.put(new DatanodeTableKey(datanodeId, tableId).toBytes(),
            DatanodeTableValue.of(tableId, List.copyOf(regions), regionInfo).encode()));
      }
    });
    byte[] updated = current.value().update(newRoutes).encode();
    return commit(tableId, current, updated, datanodeTables);
  }

  private boolean commit(long tableId, ValueWithBytes<PhysicalTableRouteValue> current,
      byte[] updated, List<TxnOp> alsoWrite) {
    byte[] key = new TableRouteKey(tableId).toBytes();
    List<TxnOp> ops = new ArrayList<>(alsoWrite);
    ops.add(TxnOp.put(key, updated));
    boolean landed = kv.txn(Txn.when(List.of(Compare.valueEquals(key, current.bytes())), ops,
        List.of())).succeeded();
    if (landed) {
      return true;
    }
    Optional<KeyValue> stored = kv.get(key);
    return stored.isPresent() && Arrays.equals(stored.get().value(), updated);
  }

  /** Region numbers each datanode leads, by datanode. */
  private static Map<Long, TreeSet<Long>> ledRegionNumbers(List<RegionRoute> routes) {
    Map<Long, TreeSet<Long>> led = new TreeMap<>();
    for (RegionRoute route : routes) {
      Peer leader = route.leaderPeer();
      if (leader != null) {
        led.computeIfAbsent(leader.id(), id -> new TreeSet<>())
            .add(RegionId.regionNumber(route.regionId()));
      }
    }
    return led;
  }
}
