package io.metasrv.config;

/**
 * The gRPC server on {@code bind_addr} ({@code [grpc]}); GreptimeDB's later metasrv has this
 * section, with the addresses too, which here stay at the top level as the seed has them.
 *
 * @param tls TLS of the gRPC server; {@code verify_ca}/{@code verify_full} require client
 *     certificates signed by {@code ca_cert_path}
 */
public record GrpcOptions(TlsOptions tls) {

  public static GrpcOptions defaults() {
    return new GrpcOptions(TlsOptions.defaults());
  }
}
