/**
 * The metadata storage contract and its backends.
 *
 * <p>{@link io.metasrv.kv.KvBackend} is a small, synchronous, etcd-shaped key-value contract:
 * byte keys in lexicographic (unsigned) order, ranges with etcd's range-end rules, puts that
 * return the previous value, batch operations, compare-and-put and transactions with compares.
 * Every backend (memory, etcd, PostgreSQL, MySQL) passes one shared contract test suite.
 * Limits ({@link io.metasrv.kv.KvLimits}) are enforced by every backend the same way: a
 * transaction above {@code max_txn_ops} or a value above {@code max_metadata_value_size} is
 * refused with a typed exception, never split or truncated silently.
 *
 * <p>The contract is synchronous on purpose: callers are gRPC and HTTP handlers and leader
 * services that already run on their own threads, and JDBC backends are blocking anyway.
 */
package io.metasrv.kv;
