/**
 * DDL: GreptimeDB's table and database DDL tasks as durable procedures, the table metadata they
 * write, WAL options for new regions ({@link io.metasrv.ddl.WalOptionsAllocator}; the Kafka topic
 * pool behind them is {@code io.metasrv.ddl.wal}), and the cache invalidation after each.
 * Datanodes are reached through {@link io.metasrv.ddl.RegionServer}, which {@code grpc}
 * implements.
 */
package io.metasrv.ddl;
