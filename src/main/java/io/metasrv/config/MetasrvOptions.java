package io.metasrv.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything a metasrv is configured with, immutable and validated once by {@link ConfigLoader}.
 * Key names (snake_case of the component names) and defaults are GreptimeDB's {@code
 * MetasrvOptions} at the seed's commit.
 *
 * @param bindAddr gRPC listen address, {@code host:port}
 * @param serverAddr address advertised to other nodes and used as the leader value; empty means
 *     "detect a local IP with the port of {@code bind_addr}" (done by the server)
 * @param storeAddrs endpoints of the metadata store (etcd endpoints, or one PostgreSQL or MySQL
 *     connection string)
 * @param selector how datanodes are picked for new regions
 * @param useMemoryStore keep metadata in memory; always equal to {@code backend == MEMORY_STORE}
 *     after loading
 * @param enableRegionFailover migrate regions away from failed datanodes
 * @param http admin HTTP server
 * @param logging logging
 * @param procedure procedure framework
 * @param failureDetector phi-accrual failure detector
 * @param datanode client to datanodes
 * @param enableTelemetry GreptimeDB's usage telemetry switch
 * @param dataHome working directory
 * @param wal write-ahead log (Kafka topic allocation)
 * @param exportMetrics pushing own metrics to a remote-write receiver
 * @param storeKeyPrefix prefix of every metadata key, so clusters can share a store
 * @param maxTxnOps most operations in one atomic transaction (etcd's {@code --max-txn-ops})
 * @param flushStatsFactor heartbeats collected before datanode stats are flushed to the store
 * @param tracing GreptimeDB's tokio-console tracing section
 * @param backend the metadata store
 * @param metaTableName table holding metadata on PostgreSQL and MySQL
 * @param metaElectionLockId PostgreSQL advisory lock id used for the election
 * @param nodeMaxIdleTime node info not refreshed for this long is dropped from memory
 * @param backendTls TLS to the store (etcd: client certificate and CA; GreptimeDB's later
 *     {@code [backend_tls]})
 * @param backendAuth credentials for the PostgreSQL or MySQL store, beside {@code store_addrs}
 * @param grpc the gRPC server's TLS
 * @param election how the leader is elected
 * @param replacedBackend the backend the configuration asked for that {@code use_memory_store =
 *     true} replaced, if they disagreed
 */
public record MetasrvOptions(
    String bindAddr,
    String serverAddr,
    List<String> storeAddrs,
    SelectorKind selector,
    boolean useMemoryStore,
    boolean enableRegionFailover,
    HttpOptions http,
    LoggingOptions logging,
    ProcedureOptions procedure,
    FailureDetectorOptions failureDetector,
    DatanodeOptions datanode,
    boolean enableTelemetry,
    String dataHome,
    WalOptions wal,
    ExportMetricsOptions exportMetrics,
    String storeKeyPrefix,
    int maxTxnOps,
    int flushStatsFactor,
    TracingOptions tracing,
    BackendKind backend,
    String metaTableName,
    long metaElectionLockId,
    Duration nodeMaxIdleTime,
    TlsOptions backendTls,
    BackendAuthOptions backendAuth,
    GrpcOptions grpc,
    ElectionOptions election,
    @Derived Optional<BackendKind> replacedBackend) {

  public MetasrvOptions {
    storeAddrs = List.copyOf(storeAddrs);
  }

  /** GreptimeDB's metasrv defaults. */
  public static MetasrvOptions defaults() {
    return new MetasrvOptions(
        "127.0.0.1:3002",
        "",
        List.of("127.0.0.1:2379"),
        SelectorKind.ROUND_ROBIN,
        false,
        false,
        HttpOptions.defaults(),
        LoggingOptions.defaults(),
        ProcedureOptions.defaults(),
        FailureDetectorOptions.defaults(),
        DatanodeOptions.defaults(),
        true,
        "./greptimedb_data/metasrv",
        WalOptions.defaults(),
        ExportMetricsOptions.defaults(),
        "",
        128,
        3,
        TracingOptions.defaults(),
        BackendKind.ETCD_STORE,
        "greptime_metakv",
        1,
        Duration.ofHours(24),
        TlsOptions.defaults(),
        BackendAuthOptions.defaults(),
        GrpcOptions.defaults(),
        ElectionOptions.defaults(),
        Optional.empty());
  }

  /** These options advertising {@code serverAddr}, for example once it has been detected. */
  public MetasrvOptions withServerAddr(String serverAddr) {
    return new MetasrvOptions(
        bindAddr,
        serverAddr,
        storeAddrs,
        selector,
        useMemoryStore,
        enableRegionFailover,
        http,
        logging,
        procedure,
        failureDetector,
        datanode,
        enableTelemetry,
        dataHome,
        wal,
        exportMetrics,
        storeKeyPrefix,
        maxTxnOps,
        flushStatsFactor,
        tracing,
        backend,
        metaTableName,
        metaElectionLockId,
        nodeMaxIdleTime,
        backendTls,
        backendAuth,
        grpc,
        election,
        replacedBackend);
  }

  /**
   * These options with the memory store in force under both of its names; {@code replacedBackend}
   * is the other backend the configuration asked for, if any.
   */
  MetasrvOptions withMemoryStore(Optional<BackendKind> replacedBackend) {
    return new MetasrvOptions(
        bindAddr,
        serverAddr,
        storeAddrs,
        selector,
        true,
        enableRegionFailover,
        http,
        logging,
        procedure,
        failureDetector,
        datanode,
        enableTelemetry,
        dataHome,
        wal,
        exportMetrics,
        storeKeyPrefix,
        maxTxnOps,
        flushStatsFactor,
        tracing,
        BackendKind.MEMORY_STORE,
        metaTableName,
        metaElectionLockId,
        nodeMaxIdleTime,
        backendTls,
        backendAuth,
        grpc,
        election,
        replacedBackend);
  }
}
