package io.metasrv.ddl.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.config.WalOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientConfigTest {
  @TempDir Path dir;

  @Test
  void plainConnectionWithTheBackoffOfWal() {
    Map<String, Object> config = KafkaClientConfig.of(wal(List.of("k1:9092", "k2:9092"),
        Optional.empty(), Optional.empty()));
    assertThat(config).containsEntry("bootstrap.servers", "k1:9092,k2:9092")
        .containsEntry("security.protocol", "PLAINTEXT")
        .containsEntry("reconnect.backoff.ms", 500L)
        .containsEntry("reconnect.backoff.max.ms", 10_000L)
        .doesNotContainKey("sasl.jaas.config");
  }

  @Test
  void saslOverTlsWithPemFiles() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "CA PEM");
    Path cert = Files.writeString(dir.resolve("client.pem"), "CERT PEM");
    Path key = Files.writeString(dir.resolve("client.key"), "KEY PEM");
    Map<String, Object> config = KafkaClientConfig.of(wal(List.of("k1:9093"),
        Optional.of(new WalOptions.Sasl(WalOptions.SaslMechanism.SCRAM_SHA_512, "wal",
            "p\"w\\d")),
        Optional.of(new WalOptions.Tls(Optional.of(ca.toString()), Optional.of(cert.toString()),
            Optional.of(key.toString())))));
    assertThat(config).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram."
            + "ScramLoginModule required username=\"wal\" password=\"p\\\"w\\\\d\";")
        .containsEntry("ssl.truststore.type", "PEM")
        .containsEntry("ssl.truststore.certificates", "CA PEM")
        .containsEntry("ssl.keystore.certificate.chain", "CERT PEM")
        .containsEntry("ssl.keystore.key", "KEY PEM");
  }

  @Test
  void anUnreadableTlsFileNamesItsKey() {
    String missing = dir.resolve("missing.pem").toString();
    assertThatThrownBy(() -> KafkaClientConfig.of(wal(List.of("k1:9093"), Optional.empty(),
        Optional.of(new WalOptions.Tls(Optional.of(missing), Optional.empty(),
            Optional.empty())))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("wal.tls.server_ca_cert_path: cannot read " + missing);
  }

  private static WalOptions wal(List<String> brokers, Optional<WalOptions.Sasl> sasl,
      Optional<WalOptions.Tls> tls) {
    WalOptions d = WalOptions.defaults();
    return new WalOptions(WalOptions.Provider.KAFKA, brokers, sasl, tls, d.backoffInit(),
        d.backoffMax(), d.backoffBase(), d.backoffDeadline(), d.numTopics(), d.numPartitions(),
        d.selectorType(), d.replicationFactor(), Duration.ofSeconds(30), d.topicNamePrefix(),
        d.autoCreateTopics());
  }
}
