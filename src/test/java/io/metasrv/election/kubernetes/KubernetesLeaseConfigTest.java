package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.config.ElectionOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KubernetesLeaseConfigTest {
  @Test
  void takesTheOptionsTimingsAndDerivesTheRest() {
    KubernetesLeaseConfig config = KubernetesLeaseConfig.of(ElectionOptions.defaults(), "prod");
    assertThat(config).isEqualTo(new KubernetesLeaseConfig("prod", "metasrv-election",
        Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2)));
    assertThat(config.leaseDurationSeconds()).isEqualTo(15);
    assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.resignPause()).isEqualTo(Duration.ofSeconds(4));
    assertThat(config.candidateExpiry()).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void timingsMustNestAndTheLeaseBeWholeSeconds() {
    assertThatThrownBy(() -> new KubernetesLeaseConfig("ns", "l", Duration.ofMillis(2500),
        Duration.ofSeconds(1), Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole seconds");
    assertThatThrownBy(() -> new KubernetesLeaseConfig("ns", "l", Duration.ofSeconds(2),
        Duration.ofSeconds(2), Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retryPeriod < renewDeadline < leaseDuration");
    assertThatThrownBy(() -> new KubernetesLeaseConfig("ns", "l", Duration.ofSeconds(2),
        Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
