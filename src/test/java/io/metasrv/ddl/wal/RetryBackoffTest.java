package io.metasrv.ddl.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.config.WalOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {

  @Test
  void defaultsDoubleFromHalfASecondUpToTenSeconds() {
    RetryBackoff backoff = RetryBackoff.of(WalOptions.defaults());
    List<Long> delays = new ArrayList<>();
    for (int failures = 1; failures <= 8; failures++) {
      delays.add(backoff.delayAfter(failures, Duration.ZERO).orElseThrow().toMillis());
    }
    assertThat(delays).containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 10000L, 10000L, 10000L);
  }

  @Test
  void noRetryStartsAfterTheDeadline() {
    RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(4), 3,
        Duration.ofSeconds(10));
    assertThat(backoff.delayAfter(2, Duration.ofSeconds(7))).contains(Duration.ofSeconds(3));
    assertThat(backoff.delayAfter(2, Duration.ofMillis(7001))).isEmpty();
    assertThat(backoff.delayAfter(3, Duration.ofSeconds(6))).contains(Duration.ofSeconds(4));
  }

  @Test
  void baseOneRetriesAtTheInitialDelay() {
    RetryBackoff backoff = new RetryBackoff(Duration.ofMillis(200), Duration.ofSeconds(1), 1,
        Duration.ofHours(1));
    assertThat(backoff.delayAfter(50, Duration.ZERO)).isEqualTo(Optional.of(Duration.ofMillis(200)));
  }
}
