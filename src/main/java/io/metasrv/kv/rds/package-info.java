/**
 * The PostgreSQL and MySQL backends of the storage contract, in the meta table GreptimeDB uses
 * ({@code meta_table_name}): {@link io.metasrv.kv.rds.PostgresKv} and {@link
 * io.metasrv.kv.rds.MysqlKv} over the transaction engine they share ({@link
 * io.metasrv.kv.rds.RdsKv}), pooled JDBC connections ({@link io.metasrv.kv.rds.RdsConnections},
 * HikariCP), {@code store_addrs} as GreptimeDB takes them ({@link
 * io.metasrv.kv.rds.StoreAddresses}) and what a failed JDBC call means ({@link
 * io.metasrv.kv.rds.SqlFailures}). Independent of the {@code config} package, which maps its
 * options onto {@link io.metasrv.kv.rds.RdsKvConfig}.
 */
package io.metasrv.kv.rds;
