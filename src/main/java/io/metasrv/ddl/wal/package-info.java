/**
 * The WAL options of new regions by {@code [wal] provider}: raft-engine's (every region writes its
 * WAL on its datanode) or Kafka topics. For Kafka the leader keeps a pool of topics, created on
 * leader start in the background and recorded under {@code __topic_name/kafka/}, and hands them
 * to new regions round-robin. {@link io.metasrv.ddl.wal.WalOptionsAllocators#create} picks the
 * allocator from the options.
 */
package io.metasrv.ddl.wal;
