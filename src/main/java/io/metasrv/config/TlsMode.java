package io.metasrv.config;

import java.util.Locale;

/**
 * How a connection uses TLS ({@code backend_tls.mode}, {@code grpc.tls.mode}), with GreptimeDB's
 * names. For our connections, which cannot try TLS and fall back: {@code disable} is plaintext,
 * {@code prefer} and {@code require} are TLS, {@code verify_ca} and {@code verify_full} are TLS
 * that also verifies the peer against {@code ca_cert_path}.
 */
public enum TlsMode implements ConfigEnum {
  DISABLE,
  PREFER,
  REQUIRE,
  VERIFY_CA,
  VERIFY_FULL;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean enabled() {
    return this != DISABLE;
  }

  public boolean verifiesPeer() {
    return this == VERIFY_CA || this == VERIFY_FULL;
  }
}
