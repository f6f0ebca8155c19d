package io.metasrv.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {
  private static final Instant SINCE = Instant.parse("2025-01-01T00:00:00Z");
  private final RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(2));

  @Test
  void waitsAsLongAgainAsTheFailureLastedWithinBounds() {
    assertThat(backoff.after(SINCE, SINCE)).isEqualTo(Duration.ofSeconds(1));
    assertThat(backoff.after(SINCE, SINCE.plusSeconds(5))).isEqualTo(Duration.ofSeconds(5));
    assertThat(backoff.after(SINCE, SINCE.plusSeconds(3600))).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void clockBehindTheTimestampWaitsTheInitialDelay() {
    assertThat(backoff.after(SINCE, SINCE.minusSeconds(30))).isEqualTo(Duration.ofSeconds(1));
  }
}
