package io.metasrv.heartbeat.instruction;

import io.metasrv.config.HumanDuration;
import java.time.Duration;

/**
 * Durations as Rust's {@code humantime} 2.1 writes them through {@code humantime_serde}: spans from
 * years down to nanoseconds, largest first, separated by spaces, zero spans left out ({@code 10s},
 * {@code 1m 30s}, {@code 1day 2h}, {@code 2years 1month}); {@code 0s} for zero. Years and months
 * are humantime's averages (365.25 and 30.44 days), as its parser reads them back.
 */
public final class Humantime {
  private static final long YEAR_SECONDS = 31_557_600;
  private static final long MONTH_SECONDS = 2_630_016;
  private static final long DAY_SECONDS = 86_400;

  private Humantime() {}

  /** Formats a duration exactly as {@code humantime::format_duration} does. */
  public static String format(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("negative duration: " + duration);
    }
    long seconds = duration.getSeconds();
    int nanos = duration.getNano();
    if (seconds == 0 && nanos == 0) {
      return "0s";
    }
    long years = seconds / YEAR_SECONDS;
    long yearRest = seconds % YEAR_SECONDS;
    long months = yearRest / MONTH_SECONDS;
    long monthRest = yearRest % MONTH_SECONDS;
    long days = monthRest / DAY_SECONDS;
    long daySeconds = monthRest % DAY_SECONDS;
    StringBuilder text = new StringBuilder();
    plural(text, years, "year");
    plural(text, months, "month");
    plural(text, days, "day");
    span(text, daySeconds / 3600, "h");
    span(text, daySeconds % 3600 / 60, "m");
    span(text, daySeconds % 60, "s");
    span(text, nanos / 1_000_000, "ms");
    span(text, nanos / 1_000 % 1_000, "us");
    span(text, nanos % 1_000, "ns");
    return text.toString();
  }

  /** Parses what {@code humantime::parse_duration} accepts. */
  public static Duration parse(String text) {
    return HumanDuration.parse(text);
  }

  private static void plural(StringBuilder text, long value, String unit) {
    span(text, value, value > 1 ? unit + "s" : unit);
  }

  private static void span(StringBuilder text, long value, String unit) {
    if (value > 0) {
      if (text.length() > 0) {
        text.append(' ');
      }
      text.append(value).append(unit);
    }
  }
}
