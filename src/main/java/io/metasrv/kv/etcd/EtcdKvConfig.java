package io.metasrv.kv.etcd;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@link EtcdKv} reaches etcd. Independent of the {@code config} package on purpose: that
 * package maps {@code store_addrs}, {@code backend_tls} and the client timeouts onto this record.
 *
 * @param storeAddrs etcd addresses as in {@code store_addrs}: {@code host:port} (plain HTTP/2) or
 *     a URI with a scheme ({@code http://host:port}, {@code https://host:port}); an entry may
 *     itself be a comma-separated list, as the environment overlay delivers it
 * @param username etcd user, or {@code null} for no authentication
 * @param password the user's password, or {@code null}; never printed
 * @param tls TLS settings, or {@code null} for plain connections (unless an address says https)
 * @param connectTimeout how long one TCP connection attempt may take
 * @param requestTimeout how long any one operation may take before it fails with {@link
 *     io.metasrv.kv.KvUnavailableException}
 * @param rangePageSize the most keys one etcd range request reads; longer ranges are read in pages
 * @param maxResponseBytes the largest gRPC response accepted from etcd; a range page larger than
 *     this is read again in smaller pages
 */
public record EtcdKvConfig(
    List<String> storeAddrs,
    String username,
    String password,
    Tls tls,
    Duration connectTimeout,
    Duration requestTimeout,
    int rangePageSize,
    int maxResponseBytes) {

  /** GreptimeDB's etcd client connect timeout. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);

  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  public static final int DEFAULT_RANGE_PAGE_SIZE = 10_000;

  /** Above gRPC's 4 MiB default so that a page of a few large metadata values still fits. */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

  /**
   * TLS to etcd, with the names of GreptimeDB's {@code backend_tls} options.
   *
   * @param caCertPath CA certificate (PEM) that signed the server's certificate, or {@code null}
   *     to trust the JVM's default roots
   * @param certPath client certificate (PEM) for mutual TLS, or {@code null}
   * @param keyPath the client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1), or
   *     {@code null}
   */
  public record Tls(Path caCertPath, Path certPath, Path keyPath) {
    public Tls {
      if ((certPath == null) != (keyPath == null)) {
        throw new IllegalArgumentException(
            "backend_tls: cert_path and key_path must be given together (got cert_path="
                + certPath + ", key_path=" + keyPath + ")");
      }
    }
  }

  public EtcdKvConfig {
    storeAddrs = List.copyOf(storeAddrs);
    // parsed now so that a malformed address fails at start-up, not at the first call
    if (endpointUris(storeAddrs).isEmpty()) {
      throw new IllegalArgumentException("store_addrs must name at least one etcd endpoint");
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("etcd username and password must be given together");
    }
    requirePositive("connect timeout", connectTimeout);
    requirePositive("request timeout", requestTimeout);
    if (rangePageSize < 1) {
      throw new IllegalArgumentException(
          "range page size must be at least 1, got " + rangePageSize);
    }
    if (maxResponseBytes < 1024) {
      throw new IllegalArgumentException(
          "max response size must be at least 1024 bytes, got " + maxResponseBytes);
    }
  }

  /** Plain connections to {@code storeAddrs} with the default timeouts and page sizes. */
  public static EtcdKvConfig of(List<String> storeAddrs) {
    return new EtcdKvConfig(storeAddrs, null, null, null, DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_REQUEST_TIMEOUT, DEFAULT_RANGE_PAGE_SIZE, DEFAULT_MAX_RESPONSE_BYTES);
  }

  public static EtcdKvConfig of(String... storeAddrs) {
    return of(List.of(storeAddrs));
  }

  public EtcdKvConfig withCredentials(String newUsername, String newPassword) {
    return new EtcdKvConfig(storeAddrs, newUsername, newPassword, tls, connectTimeout,
        requestTimeout, rangePageSize, maxResponseBytes);
  }

  public EtcdKvConfig withTls(Tls newTls) {
    return new EtcdKvConfig(storeAddrs, username, password, newTls, connectTimeout,
        requestTimeout, rangePageSize, maxResponseBytes);
  }

  public EtcdKvConfig withTimeouts(Duration newConnectTimeout, Duration newRequestTimeout) {
    return new EtcdKvConfig(storeAddrs, username, password, tls, newConnectTimeout,
        newRequestTimeout, rangePageSize, maxResponseBytes);
  }

  public EtcdKvConfig withRangePaging(int newRangePageSize, int newMaxResponseBytes) {
    return new EtcdKvConfig(storeAddrs, username, password, tls, connectTimeout, requestTimeout,
        newRangePageSize, newMaxResponseBytes);
  }

  /** The endpoints as URIs: {@code host:port} becomes {@code http://host:port}. */
  public List<URI> endpoints() {
    return endpointUris(storeAddrs);
  }

  /** Whether connections use TLS: when configured, or when an address asks for https. */
  public boolean usesTls() {
    return tls != null || endpoints().stream().anyMatch(uri -> "https".equals(uri.getScheme()));
  }

  private static List<URI> endpointUris(List<String> storeAddrs) {
    List<URI> uris = new ArrayList<>();
    for (String entry : storeAddrs) {
      for (String addr : entry.split(",")) {
        String trimmed = addr.trim();
        if (trimmed.isEmpty()) {
          continue;
        }
        URI uri = URI.create(trimmed.contains("://") ? trimmed : "http://" + trimmed);
        if (uri.getHost() == null || uri.getPort() < 0) {
          throw new IllegalArgumentException(
              "etcd address \"" + trimmed + "\" is not host:port or scheme://host:port");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
          throw new IllegalArgumentException(
              "etcd address \"" + trimmed + "\" has scheme " + uri.getScheme()
                  + "; only http and https are supported");
        }
        uris.add(uri);
      }
    }
    return List.copyOf(uris);
  }

  private static void requirePositive(String what, Duration duration) {
    if (duration == null || duration.isZero() || duration.isNegative()) {
      throw new IllegalArgumentException(what + " must be positive, got " + duration);
    }
  }

  /** The password is redacted: configurations end up in logs. */
  @Override
  public String toString() {
    return "EtcdKvConfig{endpoints=" + endpoints() + ", username=" + username
        + ", password=" + (password == null ? "null" : "<redacted>") + ", tls=" + tls
        + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
        + ", rangePageSize=" + rangePageSize + ", maxResponseBytes=" + maxResponseBytes + "}";
  }
}
