package io.metasrv.ddl.wal;

import io.metasrv.config.WalOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * The Kafka client settings every WAL client of the leader shares, from {@code [wal]}: brokers,
 * the reconnect and retry backoff, SASL and TLS. PEM files are read once, here, so a file that
 * cannot be read stops the start, naming its key.
 */
final class KafkaClientConfig {
  private static final String PLAIN_LOGIN =
      "org.apache.kafka.common.security.plain.PlainLoginModule";
  private static final String SCRAM_LOGIN =
      "org.apache.kafka.common.security.scram.ScramLoginModule";

  private KafkaClientConfig() {}

  /**
   * @throws IllegalArgumentException when a TLS file of {@code [wal.tls]} cannot be read
   */
  static Map<String, Object> of(WalOptions wal) {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",",
        wal.brokerEndpoints()));
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, "metasrv-wal");
    config.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, wal.backoffInit().toMillis());
    config.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, wal.backoffMax().toMillis());
    config.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, wal.backoffInit().toMillis());
    config.put(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG, wal.backoffMax().toMillis());
    boolean sasl = wal.sasl().isPresent();
    boolean tls = wal.tls().isPresent();
    config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
        (sasl ? "SASL_" : "") + (tls ? "SSL" : "PLAINTEXT"));
    wal.sasl().ifPresent(credentials -> {
      config.put(SaslConfigs.SASL_MECHANISM, credentials.type().configName());
      String module = credentials.type() == WalOptions.SaslMechanism.PLAIN
          ? PLAIN_LOGIN : SCRAM_LOGIN;
      config.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username="
          + jaasQuoted(credentials.username()) + " password="
          + jaasQuoted(credentials.password()) + ";");
    });
    wal.tls().ifPresent(files -> {
      files.serverCaCertPath().ifPresent(path -> {
        config.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        config.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG,
            read("wal.tls.server_ca_cert_path", path));
      });
      Optional<String> cert = files.clientCertPath();
      Optional<String> key = files.clientKeyPath();
      if (cert.isPresent() && key.isPresent()) {
        config.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        config.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG,
            read("wal.tls.client_cert_path", cert.get()));
        config.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG,
            read("wal.tls.client_key_path", key.get()));
      }
    });
    return config;
  }

  /** A JAAS option value: double-quoted, with backslashes and quotes escaped. */
  private static String jaasQuoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String read(String key, String path) {
    try {
      return Files.readString(Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException(key + ": cannot read " + path + ": " + e, e);
    }
  }
}
