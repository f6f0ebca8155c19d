package io.metasrv.heartbeat.instruction;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** humantime 2.1's {@code format_duration}, which {@code humantime_serde} writes. */
class HumantimeTest {

  @Test
  void formatsAsHumantime() {
    assertThat(Humantime.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Humantime.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(Humantime.format(Duration.ofSeconds(9420))).isEqualTo("2h 37m");
    assertThat(Humantime.format(Duration.ofMillis(32))).isEqualTo("32ms");
    assertThat(Humantime.format(Duration.ofMillis(1500))).isEqualTo("1s 500ms");
    assertThat(Humantime.format(Duration.ofNanos(1_001_001))).isEqualTo("1ms 1us 1ns");
    assertThat(Humantime.format(Duration.ofDays(1))).isEqualTo("1day");
    assertThat(Humantime.format(Duration.ofDays(7))).isEqualTo("7days");
    assertThat(Humantime.format(Duration.ofDays(31))).isEqualTo("1month 13h 26m 24s");
    assertThat(Humantime.format(Duration.ofSeconds(2 * 31_557_600L + 2_630_016L)))
        .isEqualTo("2years 1month");
  }

  @Test
  void whatItWritesParsesBack() {
    for (Duration d :
        new Duration[] {
          Duration.ofSeconds(90), Duration.ofDays(400), Duration.ofNanos(123_456_789_012L)
        }) {
      assertThat(Humantime.parse(Humantime.format(d))).isEqualTo(d);
    }
  }
}
