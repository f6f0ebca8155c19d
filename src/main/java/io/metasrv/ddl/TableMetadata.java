package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.failure.DatanodeRegion;
import io.metasrv.kv.Compare;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableInfoValue;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.metadata.TopicRegionKey;
import io.metasrv.protocol.v1.CreateTableExpr;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A table's metadata keys as GreptimeDB's {@code TableMetadataManager} writes them: {@code
 * __table_name}, {@code __table_info}, {@code __table_route}, one {@code __dn_table} per leader
 * datanode and, for Kafka WAL, one {@code __topic_region} per region.
 */
final class TableMetadata {
  private static final String KAFKA_TOPIC = "wal.kafka.topic";

  private final KvBackend kv;
  private final GroupCommit writes;

  /** @param writes the group commit its transactions go through, over the store it reads */
  TableMetadata(GroupCommit writes) {
    this.kv = writes.kv();
    this.writes = writes;
  }

  /**
   * A new table's metadata, encoded ahead of {@link #create} (CREATE TABLE encodes it while the
   * datanodes create the regions): the puts of every key, and what a retried create compares.
   */
  record NewTable(TableNameKey name, long tableId, byte[] info, PhysicalTableRouteValue route,
      List<TxnOp> puts) {
    /** The puts of {@code route}'s table {@code tableId} named {@code name}. */
    static NewTable of(TableNameKey name, long tableId, ObjectNode tableInfo,
        PhysicalTableRouteValue route, RegionInfo regionInfo) {
      byte[] info = TableInfoValue.of(tableInfo, 0).encode();
      List<TxnOp> puts = new ArrayList<>();
      puts.add(TxnOp.put(name.toBytes(), new TableNameValue(tableId).encode()));
      puts.add(TxnOp.put(new TableInfoKey(tableId).toBytes(), info));
      puts.add(TxnOp.put(new TableRouteKey(tableId).toBytes(), route.encode()));
      leaderRegionNumbers(route).forEach((datanodeId, numbers) -> puts.add(TxnOp.put(
          new DatanodeTableKey(datanodeId, tableId).toBytes(),
          DatanodeTableValue.of(tableId, numbers, regionInfo).encode())));
      topicRegionKeys(tableId, regionInfo.regionWalOptions())
          .forEach(key -> puts.add(TxnOp.put(key, new byte[0])));
      return new NewTable(name, tableId, info, route, List.copyOf(puts));
    }
  }

  /**
   * Creates a table's metadata in one transaction, as GreptimeDB's {@code create_table_metadata}:
   * when {@code __table_info} and {@code __table_route} are both absent, put every key. When they
   * exist and hold what this call would write (a retried create that landed), that is success.
   *
   * <p>{@code alongside} are more operations for the same transaction (a procedure's record
   * deletions), added when they fit in {@code max_txn_ops} with the puts.
   *
   * @return whether this call's transaction put the keys and ran {@code alongside}; false when
   *     the metadata was there already, or {@code alongside} did not fit and was left out
   * @throws DdlException when they exist with other values (another table has this id)
   */
  boolean create(NewTable table, List<TxnOp> alongside) {
    long tableId = table.tableId();
    TableNameKey name = table.name();
    byte[] infoKey = new TableInfoKey(tableId).toBytes();
    byte[] routeKey = new TableRouteKey(tableId).toBytes();
    byte[] info = table.info();
    PhysicalTableRouteValue route = table.route();
    List<TxnOp> puts = table.puts();
    boolean withAlongside = puts.size() + alongside.size() <= kv.limits().maxTxnOps();
    List<TxnOp> ops = puts;
    if (withAlongside) {
      ops = new ArrayList<>(puts);
      ops.addAll(alongside);
    }
    boolean created = writes.txn(Txn.when(
        List.of(Compare.absent(infoKey), Compare.absent(routeKey)), ops,
        List.of(TxnOp.get(infoKey), TxnOp.get(routeKey)))).succeeded();
    if (created) {
      return withAlongside;
    }
    Optional<KeyValue> storedInfo = kv.get(infoKey);
    Optional<KeyValue> storedRoute = kv.get(routeKey);
    boolean sameInfo = storedInfo.isPresent() && SerdeJson.readTree(storedInfo.get().value(),
        "TableInfoValue").equals(SerdeJson.readTree(info, "TableInfoValue"));
    boolean sameRoute = storedRoute.isPresent()
        && TableRouteValue.decode(storedRoute.get().value()).equals(route);
    if (!sameInfo || !sameRoute) {
      throw new DdlException(DdlException.UNEXPECTED, "Table metadata of table id " + tableId
          + " already exists and differs from " + name + "'s");
    }
    return false;
  }

  /** A logical table to create: its info (region numbers filled) and its logical route. */
  record LogicalTable(TableNameKey name, long tableId, ObjectNode tableInfo,
      LogicalTableRouteValue route) {}

  /**
   * Creates logical tables' metadata, GreptimeDB's {@code create_logical_tables_metadata}: per
   * table a put of {@code __table_name} and puts of {@code __table_info} and {@code
   * __table_route} when both are absent, {@code max_txn_ops / 3} tables per transaction. A chunk
   * whose keys exist with the values it would write (a retried create that landed) is success.
   *
   * @throws DdlException when one exists with another value
   */
  void createLogicalTables(List<LogicalTable> tables) {
    int chunk = Math.max(1, kv.limits().maxTxnOps() / 3);
    for (int from = 0; from < tables.size(); from += chunk) {
      List<LogicalTable> part = tables.subList(from, Math.min(tables.size(), from + chunk));
      List<Compare> compares = new ArrayList<>();
      List<TxnOp> puts = new ArrayList<>();
      List<TxnOp> gets = new ArrayList<>();
      for (LogicalTable table : part) {
        byte[] infoKey = new TableInfoKey(table.tableId()).toBytes();
        byte[] routeKey = new TableRouteKey(table.tableId()).toBytes();
        compares.add(Compare.absent(infoKey));
        compares.add(Compare.absent(routeKey));
        puts.add(TxnOp.put(table.name().toBytes(), new TableNameValue(table.tableId()).encode()));
        puts.add(TxnOp.put(infoKey, TableInfoValue.of(table.tableInfo(), 0).encode()));
        puts.add(TxnOp.put(routeKey, table.route().encode()));
        gets.add(TxnOp.get(infoKey));
        gets.add(TxnOp.get(routeKey));
      }
      if (writes.txn(Txn.when(compares, puts, gets)).succeeded()) {
        continue;
      }
      for (LogicalTable table : part) {
        Optional<KeyValue> info = kv.get(new TableInfoKey(table.tableId()).toBytes());
        Optional<KeyValue> route = kv.get(new TableRouteKey(table.tableId()).toBytes());
        boolean same = info.isPresent() && route.isPresent()
            && SerdeJson.readTree(info.get().value(), "TableInfoValue").equals(SerdeJson.readTree(
                TableInfoValue.of(table.tableInfo(), 0).encode(), "TableInfoValue"))
            && TableRouteValue.decode(route.get().value()).equals(table.route());
        if (!same) {
          throw new DdlException(DdlException.UNEXPECTED, "Table metadata of table id "
              + table.tableId() + " already exists and differs from " + table.name() + "'s");
        }
      }
    }
  }

  /** A table info to update: the stored value (raw bytes read) and the new RawTableInfo. */
  record InfoUpdate(byte[] current, JsonNode newTableInfo) {}

  /**
   * Updates table infos, GreptimeDB's {@code update_table_info} and {@code
   * batch_update_table_info_values}: each new value is the table info with the outer version +
   * 1, put when the stored bytes are still {@code current}; {@code max_txn_ops} tables per
   * transaction. A value already updated to the same is success (a retried step).
   *
   * @throws DdlException when a stored value changed to something else
   */
  void updateTableInfos(List<InfoUpdate> updates) {
    int chunk = Math.max(1, kv.limits().maxTxnOps());
    for (int from = 0; from < updates.size(); from += chunk) {
      List<InfoUpdate> part = updates.subList(from, Math.min(updates.size(), from + chunk));
      List<Compare> compares = new ArrayList<>();
      List<TxnOp> puts = new ArrayList<>();
      List<TxnOp> gets = new ArrayList<>();
      List<byte[]> newValues = new ArrayList<>();
      for (InfoUpdate update : part) {
        TableInfoValue current = TableInfoValue.decode(update.current());
        byte[] key = new TableInfoKey(current.tableId()).toBytes();
        byte[] updated = current.update(update.newTableInfo()).encode();
        compares.add(Compare.valueEquals(key, update.current()));
        puts.add(TxnOp.put(key, updated));
        gets.add(TxnOp.get(key));
        newValues.add(updated);
      }
      if (writes.txn(Txn.when(compares, puts, gets)).succeeded()) {
        continue;
      }
      for (int i = 0; i < part.size(); i++) {
        long tableId = TableInfoValue.decode(part.get(i).current()).tableId();
        Optional<KeyValue> stored = kv.get(new TableInfoKey(tableId).toBytes());
        boolean same = stored.isPresent() && SerdeJson.readTree(stored.get().value(),
            "TableInfoValue").equals(SerdeJson.readTree(newValues.get(i), "TableInfoValue"));
        if (!same) {
          throw new DdlException(DdlException.UNEXPECTED, "Table info of table id " + tableId
              + " changed while it was being updated");
        }
      }
    }
  }

  /**
   * Every key of a physical table that the route names, in GreptimeDB's order: name, info,
   * route, each leader datanode's {@code __dn_table}, each Kafka region's {@code __topic_region}.
   */
  static List<byte[]> keysOf(TableNameKey name, long tableId, List<RegionRoute> routes,
      Map<Long, String> regionWalOptions) {
    List<byte[]> keys = new ArrayList<>();
    keys.add(name.toBytes());
    keys.add(new TableInfoKey(tableId).toBytes());
    keys.add(new TableRouteKey(tableId).toBytes());
    leaderRegionNumbers(PhysicalTableRouteValue.of(routes)).keySet().forEach(
        datanodeId -> keys.add(new DatanodeTableKey(datanodeId, tableId).toBytes()));
    keys.addAll(topicRegionKeys(tableId, regionWalOptions));
    return keys;
  }

  /**
   * The WAL options of a table's regions, as its first {@code __dn_table} value found lists them
   * (each value lists every region's).
   */
  static Map<Long, String> storedWalOptions(KvBackend kv, long tableId, List<RegionRoute> routes) {
    for (long datanodeId : leaderRegionNumbers(PhysicalTableRouteValue.of(routes)).keySet()) {
      Optional<KeyValue> value = kv.get(new DatanodeTableKey(datanodeId, tableId).toBytes());
      if (value.isPresent()) {
        return new LinkedHashMap<>(DatanodeTableValue.decode(value.get().value())
            .regionWalOptions());
      }
    }
    return new LinkedHashMap<>();
  }

  /** Region numbers by the datanode that leads them, datanodes in id order. */
  static Map<Long, List<Long>> leaderRegionNumbers(PhysicalTableRouteValue route) {
    Map<Long, List<Long>> numbers = new TreeMap<>();
    leaderRegionIds(route).forEach((datanodeId, regionIds) -> numbers.put(datanodeId,
        regionIds.stream().map(RegionId::regionNumber).toList()));
    return numbers;
  }

  /**
   * The region numbers each leader peer leads, peers in the order the route first names them
   * (GreptimeDB's {@code find_leaders} and {@code find_leader_regions}).
   */
  static Map<Peer, List<Long>> regionNumbersByLeader(List<RegionRoute> routes) {
    Map<Peer, List<Long>> led = new LinkedHashMap<>();
    for (RegionRoute route : routes) {
      if (route.leaderPeer() != null) {
        led.computeIfAbsent(route.leaderPeer(), peer -> new ArrayList<>())
            .add(RegionId.regionNumber(route.regionId()));
      }
    }
    return led;
  }

  /** Region ids by the datanode that leads them, for the region keeper. */
  static Map<Long, List<Long>> leaderRegionIds(PhysicalTableRouteValue route) {
    Map<Long, List<Long>> led = new TreeMap<>();
    for (RegionRoute region : route.regionRoutes()) {
      if (region.leaderPeer() != null) {
        led.computeIfAbsent(region.leaderPeer().id(), id -> new ArrayList<>())
            .add(region.regionId());
      }
    }
    return led;
  }

  /**
   * Each led region with its leader, as the failure detectors watch it (GreptimeDB's {@code
   * convert_region_routes_to_detecting_regions}).
   */
  static List<DatanodeRegion> detectingRegions(List<RegionRoute> routes) {
    List<DatanodeRegion> detecting = new ArrayList<>();
    for (RegionRoute route : routes) {
      if (route.leaderPeer() != null) {
        detecting.add(new DatanodeRegion(route.leaderPeer().id(), route.regionId()));
      }
    }
    return detecting;
  }

  private static List<byte[]> topicRegionKeys(long tableId, Map<Long, String> walOptions) {
    List<byte[]> keys = new ArrayList<>();
    walOptions.forEach((number, options) -> {
      JsonNode topic = SerdeJson.readTree(options.getBytes(java.nio.charset.StandardCharsets.UTF_8),
          "WalOptions").get(KAFKA_TOPIC);
      if (topic != null && topic.isTextual()) {
        keys.add(new TopicRegionKey(topic.asText(), RegionId.of(tableId, number)).toBytes());
      }
    });
    return keys;
  }

  /**
   * What a datanode needs to open the table's regions: the engine, {@code "{catalog}/{schema}"},
   * the table options as GreptimeDB's {@code HashMap::from(&TableOptions)} (write_buffer_size and
   * ttl when set, then every extra option), and every region's WAL options.
   */
  static RegionInfo regionInfo(CreateTableExpr expr, JsonNode tableInfo,
      Map<Long, String> regionWalOptions) {
    return new RegionInfo(expr.getEngine(), expr.getCatalogName() + "/" + expr.getSchemaName(),
        regionOptions(tableInfo), regionWalOptions);
  }

  /**
   * A table's region options, GreptimeDB's {@code RawTableInfo::to_region_options}: its table
   * options as {@code HashMap::from(&TableOptions)} writes them.
   */
  static Map<String, String> regionOptions(JsonNode tableInfo) {
    JsonNode options = tableInfo.path("meta").path("options");
    Map<String, String> regionOptions = new LinkedHashMap<>();
    for (String field : List.of("write_buffer_size", "ttl")) {
      JsonNode value = options.path(field);
      if (!value.isMissingNode() && !value.isNull()) {
        regionOptions.put(field, value.isTextual() ? value.asText() : value.toString());
      }
    }
    Iterator<Map.Entry<String, JsonNode>> extra = options.path("extra_options").fields();
    extra.forEachRemaining(entry -> regionOptions.put(entry.getKey(), entry.getValue().asText()));
    return regionOptions;
  }

  /** {@code table_info.meta.options.skip_wal}. */
  static boolean skipWal(JsonNode tableInfo) {
    return tableInfo.path("meta").path("options").path("skip_wal").asBoolean(false);
  }

  /**
   * Puts GreptimeDB's task of a table DDL into persisted data: {@code "task":{"catalog",
   * "schema","table","table_id"}}, returned for the caller's further fields.
   */
  static ObjectNode putTableTask(ObjectNode root, TableNameKey name, long tableId) {
    ObjectNode task = root.putObject("task");
    task.put("catalog", name.catalog());
    task.put("schema", name.schema());
    task.put("table", name.table());
    task.put("table_id", tableId);
    return task;
  }

  /** Puts region routes into persisted data under {@code field}. */
  static void putRoutes(ObjectNode root, String field, List<RegionRoute> routes) {
    com.fasterxml.jackson.databind.node.ArrayNode array = root.putArray(field);
    routes.forEach(route -> array.add(SerdeJson.MAPPER.valueToTree(route)));
  }

  /** Region routes read back from persisted data. */
  static List<RegionRoute> routes(JsonNode array, String what) {
    List<RegionRoute> routes = new ArrayList<>();
    array.forEach(route -> routes.add(SerdeJson.convert(route, RegionRoute.class, what)));
    return routes;
  }

  /** WAL options by region number as a JSON object with string keys. */
  static ObjectNode walOptionsToJson(Map<Long, String> options) {
    ObjectNode node = SerdeJson.MAPPER.createObjectNode();
    options.forEach((number, json) -> node.put(Long.toString(number), json));
    return node;
  }

  /** The inverse of {@link #walOptionsToJson}; null for a JSON null or a missing field. */
  static Map<Long, String> walOptionsFromJson(JsonNode node) {
    if (node == null || !node.isObject()) {
      return null;
    }
    Map<Long, String> options = new LinkedHashMap<>();
    node.fields().forEachRemaining(
        entry -> options.put(Long.parseLong(entry.getKey()), entry.getValue().asText()));
    return options;
  }
}
