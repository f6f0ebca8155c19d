package io.metasrv.config;

/**
 * TLS of one connection ({@code [backend_tls]}, {@code [grpc.tls]}), GreptimeDB's keys.
 *
 * @param mode whether and how TLS is used
 * @param certPath this side's certificate (PEM); for the store, the client certificate
 * @param keyPath the key of {@code certPath} (PEM)
 * @param caCertPath the CA that signs the peer's certificate (PEM); empty: the JDK's trust store
 *     for the store, no client verification for gRPC
 * @param watch reload the files when they change (accepted for compatibility; must be false)
 */
public record TlsOptions(
    TlsMode mode, String certPath, String keyPath, String caCertPath, boolean watch) {

  public static TlsOptions defaults() {
    return new TlsOptions(TlsMode.DISABLE, "", "", "", false);
  }
}
