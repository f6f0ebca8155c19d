/**
 * The metadata storage contract and its backends.
 *
 * <p>{@link io.metasrv.kv.KvBackend} is a small, synchronous, etcd-shaped key-value contract:
 * byte keys in lexicographic (unsigned) order, ranges with etcd's range-end rules, puts that
 * return the previous value, batch operations, compare-and-put and transactions with compares.
 * Every backend (memory, etcd, PostgreSQL, MySQL) passes one shared contract test suite
 * ({@code KvBackendContractTest}).
 *
 * <p>Every backend refuses bad input the same way by running the checks of
 * {@link io.metasrv.kv.KvLimits} before it writes anything: a transaction above
 * {@code max_txn_ops} ({@link io.metasrv.kv.TxnTooLargeException}), a value above
 * {@code max_metadata_value_size} ({@link io.metasrv.kv.ValueTooLargeException}), an empty key or
 * a key written twice in one transaction branch or batch
 * ({@link io.metasrv.kv.InvalidKeyException}) are refused, never split or truncated silently.
 *
 * <p>Backends: {@link io.metasrv.kv.MemoryKv} (in-process), {@code io.metasrv.kv.etcd.EtcdKv}
 * and the SQL stores of {@code io.metasrv.kv.rds}. Decorators over any backend:
 * {@link io.metasrv.kv.ChrootKv} ({@code store_key_prefix}), {@link io.metasrv.kv.MeteredKv}
 * (operation timers) and {@link io.metasrv.kv.LeaderCachedKv} (the leader's read cache of
 * table names, routes, schemas, catalogs and node addresses). {@link io.metasrv.kv.GroupCommit}
 * sends the writes of concurrent callers (procedure records, DDL metadata) as one transaction.
 *
 * <p>The contract is synchronous first: leader services and HTTP handlers run on their own
 * threads, and the JDBC backends are blocking anyway. Every operation also has an asynchronous form
 * ({@code rangeAsync}, {@code putAsync}, ...) that every decorator forwards, for the gRPC Store
 * service, which must not hold a thread per call in flight; see {@link io.metasrv.kv.KvBackend}.
 */
package io.metasrv.kv;
