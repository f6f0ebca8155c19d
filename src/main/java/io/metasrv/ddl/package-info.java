/**
 * DDL: GreptimeDB's table and database DDL tasks as durable procedures, the table metadata they
 * write, WAL options for new regions ({@link io.metasrv.ddl.WalOptionsAllocator}; the Kafka topic
 * pool behind them is {@code io.metasrv.ddl.wal}), and the cache invalidation after each.
 * Datanodes are reached through {@link io.metasrv.ddl.RegionServer}, which {@code grpc} implements.
 *
 * <p>{@link io.metasrv.ddl.DdlManager} checks a task, submits its procedure and answers when it
 * finished; it registers the loaders a new leader resumes procedures with. Procedures: {@link
 * io.metasrv.ddl.CreateTableProcedure}, {@link io.metasrv.ddl.DropTableProcedure}, {@link
 * io.metasrv.ddl.TruncateTableProcedure}, {@link io.metasrv.ddl.AlterTableProcedure} (its new
 * table info built by {@code TableInfoAlteration}), {@link io.metasrv.ddl.CreateDatabaseProcedure},
 * {@link io.metasrv.ddl.DropDatabaseProcedure}, {@link io.metasrv.ddl.AlterDatabaseProcedure},
 * and for the metric engine's logical tables {@link io.metasrv.ddl.CreateLogicalTablesProcedure}
 * and {@link io.metasrv.ddl.AlterLogicalTablesProcedure} (DropTableTasks run a DropTable per
 * table); the table keys they write are built in {@code TableMetadata}, the column rewrites of
 * a logical or physical table info in {@code TableInfoColumns}. Other tasks (views, flows) are
 * refused as not supported yet.
 */
package io.metasrv.ddl;
