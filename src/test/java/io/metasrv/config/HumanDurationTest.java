package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HumanDurationTest {

  @ParameterizedTest
  @CsvSource({
    "500ms, PT0.5S",
    "3s, PT3S",
    "24h, PT24H",
    "24hours, PT24H",
    "5mins, PT5M",
    "1h 30m, PT1H30M",
    "1m30s, PT1M30S",
    "'  2 min  ', PT2M",
    "17ns, PT0.000000017S",
    "3usec, PT0.000003S",
    "31millis, PT0.031S",
    "2days, PT48H",
    "1w, PT168H",
    "1month, PT730H33M36S",
    "1y, PT8766H",
    "1s 500ms 250us, PT1.50025S"
  })
  void parsesHumantimeSpellings(String text, Duration expected) {
    assertThat(HumanDuration.parse(text)).isEqualTo(expected);
  }

  @Test
  void unitsAreCaseSensitiveLikeHumantime() {
    assertThat(HumanDuration.parse("1M")).isEqualTo(Duration.ofSeconds(2_630_016));
    assertThat(HumanDuration.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(() -> HumanDuration.parse("1S"))
        .hasMessageContaining("unknown time unit \"S\"");
  }

  @Test
  void bareNumberAsksForAUnit() {
    assertThatThrownBy(() -> HumanDuration.parse("10"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("time unit needed, for example 10s or 10ms");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "   ", "1.5s", "-1s", "s", "10 parsecs", "1h,30m", "99999999999999999999s"})
  void rejectsWhatHumantimeRejects(String text) {
    assertThatThrownBy(() -> HumanDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsOverflowWithAClearMessage() {
    assertThatThrownBy(() -> HumanDuration.parse("9223372036854775807h"))
        .hasMessageContaining("too large");
  }

  @ParameterizedTest
  @CsvSource({
    "PT24H, 24h",
    "PT0.5S, 500ms",
    "PT1M30S, 1m 30s",
    "PT0S, 0s",
    "PT72H, 72h",
    "PT1H0.000000001S, 1h 1ns",
    "PT0.001002003S, 1ms 2us 3ns"
  })
  void formatsShortestForm(Duration duration, String expected) {
    assertThat(HumanDuration.format(duration)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      longs = {0, 1, 999, 1_000_000, 59_999_999_999L, 86_400_000_000_000L, 3_723_004_005_006L})
  void formatThenParseIsIdentity(long nanos) {
    Duration duration = Duration.ofNanos(nanos);
    assertThat(HumanDuration.parse(HumanDuration.format(duration))).isEqualTo(duration);
  }
}
