/**
 * The metadata that metasrv keeps in the store, in GreptimeDB's key layout and byte for byte in
 * GreptimeDB's JSON, because GreptimeDB frontends and datanodes read and write the same keys.
 *
 * <ul>
 *   <li>Keys: {@link io.metasrv.metadata.TableRouteKey}, {@link
 *       io.metasrv.metadata.DatanodeTableKey}, {@link io.metasrv.metadata.NodeAddressKey}, {@link
 *       io.metasrv.metadata.TableNameKey}, {@link io.metasrv.metadata.TableInfoKey}, {@link
 *       io.metasrv.metadata.CatalogNameKey}, {@link io.metasrv.metadata.SchemaNameKey} and the
 *       maintenance flag ({@link io.metasrv.metadata.MaintenanceMode}); each parses its bytes and
 *       prints them.
 *   <li>Values, each with {@code decode(bytes)} / {@code encode()}: table routes (physical and
 *       logical, legacy forms read), datanode tables, node addresses, table names, table info
 *       (opaque JSON with a few typed fields), catalog and schema names.
 *   <li>{@link io.metasrv.metadata.ValueWithBytes}: a decoded value with the bytes it was read
 *       from; updates compare against those bytes, as GreptimeDB does.
 *   <li>{@link io.metasrv.metadata.SerdeJson}: the Jackson setup that writes serde_json's bytes,
 *       shared by the other packages that speak GreptimeDB's JSON ({@code cluster}, {@code
 *       heartbeat.instruction}), and {@link io.metasrv.metadata.UnsignedLongJson} for GreptimeDB's
 *       {@code u64} ids (region, peer, datanode), written and read unsigned.
 * </ul>
 *
 * Id sequences ({@code table_id}, {@code flow_id}, {@code heartbeat_mailbox}) are in {@code
 * metadata.sequence}; table metadata bootstrap is not built yet.
 */
package io.metasrv.metadata;
