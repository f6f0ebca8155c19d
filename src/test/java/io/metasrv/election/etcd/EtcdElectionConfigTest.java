package io.metasrv.election.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EtcdElectionConfigTest {

  @Test
  void defaultsAreGreptimeDbs() {
    EtcdElectionConfig defaults = EtcdElectionConfig.defaults();
    assertThat(defaults.leaderLeaseTtl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.leaderKeepAliveInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(defaults.candidateLeaseTtl()).isEqualTo(Duration.ofSeconds(600));
    assertThat(defaults.candidateKeepAliveInterval()).isEqualTo(Duration.ofSeconds(300));
  }

  @Test
  void leaseTtlMustBeWholeSeconds() {
    assertThatThrownBy(() -> withLeader(Duration.ofMillis(2500), Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaderLeaseTtl must be whole seconds");
  }

  @Test
  void renewalMustComeBeforeTheLeaseExpires() {
    assertThatThrownBy(() -> withLeader(Duration.ofSeconds(2), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaderKeepAliveInterval PT2S must be shorter than the lease");
  }

  private static EtcdElectionConfig withLeader(Duration ttl, Duration keepAlive) {
    EtcdElectionConfig d = EtcdElectionConfig.defaults();
    return new EtcdElectionConfig(ttl, keepAlive, d.candidateLeaseTtl(),
        d.candidateKeepAliveInterval(), d.requestTimeout(), d.retryBackoff(),
        d.maxRetryBackoff(), d.resignPause());
  }
}
