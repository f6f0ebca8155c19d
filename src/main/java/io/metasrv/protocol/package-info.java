/**
 * GreptimeDB's wire messages as plain data: {@code greptime.v1.meta} (heartbeats, mailbox
 * messages, region leases, store and cluster messages, procedures, DDL tasks), the {@code
 * greptime.v1} messages they carry ({@code io.metasrv.protocol.v1}: DDL expressions, column
 * definitions, query context) and {@code greptime.v1.region}'s Region service that DDL calls on
 * datanodes ({@code io.metasrv.protocol.region}), generated from {@code
 * src/main/proto} with greptime-proto 103948cb's package, names and field numbers. Leader logic
 * reads and builds these messages; only {@code io.metasrv.grpc} puts them on the wire.
 */
package io.metasrv.protocol;
