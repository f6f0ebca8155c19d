/**
 * The etcd backend of the storage contract: {@link io.metasrv.kv.etcd.EtcdKv} over jetcd, and
 * {@link io.metasrv.kv.etcd.EtcdKvConfig}, the connection settings it needs ({@code store_addrs},
 * credentials, {@code backend_tls}, timeouts) without depending on the {@code config} package.
 */
package io.metasrv.kv.etcd;
