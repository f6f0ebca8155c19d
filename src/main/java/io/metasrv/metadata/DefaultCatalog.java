package io.metasrv.metadata;

import io.metasrv.kv.Compare;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import java.util.ArrayList;
import java.util.List;

/**
 * The catalog and schemas every GreptimeDB cluster has, GreptimeDB's {@code
 * TableMetadataManager::init}: catalog {@code greptime} ({@code null}) and its schemas {@code
 * public}, {@code information_schema} and {@code greptime_private} ({@code {"ttl":null}}), each
 * created only if absent. A value already there is never overwritten, so running it again, on
 * any node or after any leader change, changes nothing.
 *
 * <p>GreptimeDB runs it on every node at start; here the leader runs it at every leader start,
 * through its fenced store: these keys are leader-cached, and a follower's write would bypass the
 * leader's cache. A cluster has them as soon as it has a leader, which is before any DDL.
 */
public final class DefaultCatalog {
  public static final String CATALOG = "greptime";
  public static final String PUBLIC_SCHEMA = "public";
  public static final List<String> SCHEMAS =
      List.of(PUBLIC_SCHEMA, "information_schema", "greptime_private");

  private DefaultCatalog() {}

  /**
   * Creates what is absent.
   *
   * @return the keys this call created (empty when everything existed)
   */
  public static List<MetadataKey> ensure(KvBackend kv) {
    List<MetadataKey> created = new ArrayList<>();
    CatalogNameKey catalog = new CatalogNameKey(CATALOG);
    if (putIfAbsent(kv, catalog, CatalogNameValue.encode())) {
      created.add(catalog);
    }
    for (String schema : SCHEMAS) {
      SchemaNameKey key = new SchemaNameKey(CATALOG, schema);
      if (putIfAbsent(kv, key, SchemaNameValue.NO_TTL.encode())) {
        created.add(key);
      }
    }
    return created;
  }

  private static boolean putIfAbsent(KvBackend kv, MetadataKey key, byte[] value) {
    byte[] raw = key.toBytes();
    return kv.txn(Txn.when(List.of(Compare.absent(raw)), List.of(TxnOp.put(raw, value)),
        List.of())).succeeded();
  }
}
