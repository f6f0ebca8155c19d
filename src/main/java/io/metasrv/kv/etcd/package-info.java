/**
 * The etcd backend of the storage contract: {@link io.metasrv.kv.etcd.EtcdKv}, whose KV calls go
 * through etcd's generated gRPC stubs on a channel of its own ({@code EtcdKvChannel}) while the
 * jetcd client it also holds serves the election (leases, watches); and {@link
 * io.metasrv.kv.etcd.EtcdKvConfig}, the connection settings both need ({@code store_addrs},
 * credentials, {@code backend_tls}, timeouts) without depending on the {@code config} package.
 */
package io.metasrv.kv.etcd;
