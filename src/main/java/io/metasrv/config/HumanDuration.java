package io.metasrv.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Durations written the way GreptimeDB's configuration writes them (Rust's {@code humantime} 2.1,
 * used through {@code humantime_serde}): one or more {@code <integer><unit>} spans, optionally
 * separated by whitespace, summed: {@code 500ms}, {@code 24hours}, {@code 1h 30m}, {@code 1m30s}.
 * Units are case-sensitive ({@code m} is minutes, {@code M} months); months and years are
 * humantime's averages (30.44 and 365.25 days). Fractions and signs are not part of the syntax, so
 * {@code 1.5s} is rejected, as it is by GreptimeDB.
 */
public final class HumanDuration {
  /** Unit spelling to its length, as humantime 2.1 spells them. */
  private static final Map<String, Duration> UNITS = new HashMap<>();

  static {
    unit(Duration.ofNanos(1), "nanos", "nsec", "ns");
    unit(Duration.ofNanos(1_000), "usec", "us");
    unit(Duration.ofMillis(1), "millis", "msec", "ms");
    unit(Duration.ofSeconds(1), "seconds", "second", "secs", "sec", "s");
    unit(Duration.ofMinutes(1), "minutes", "minute", "min", "mins", "m");
    unit(Duration.ofHours(1), "hours", "hour", "hr", "hrs", "h");
    unit(Duration.ofDays(1), "days", "day", "d");
    unit(Duration.ofDays(7), "weeks", "week", "w");
    unit(Duration.ofSeconds(2_630_016), "months", "month", "M");
    unit(Duration.ofSeconds(31_557_600), "years", "year", "y");
  }

  private static void unit(Duration length, String... spellings) {
    for (String spelling : spellings) {
      UNITS.put(spelling, length);
    }
  }

  private HumanDuration() {}

  /**
   * Parses a humantime duration.
   *
   * @throws IllegalArgumentException with a message fit for an operator
   */
  public static Duration parse(String text) {
    int i = skipWhitespace(text, 0);
    if (i == text.length()) {
      throw new IllegalArgumentException("empty duration");
    }
    Duration total = Duration.ZERO;
    while (i < text.length()) {
      int numberStart = i;
      while (i < text.length() && isAsciiDigit(text.charAt(i))) {
        i++;
      }
      if (numberStart == i) {
        throw new IllegalArgumentException(
            "expected a number at offset " + i + " of \"" + text + "\"");
      }
      String number = text.substring(numberStart, i);
      i = skipWhitespace(text, i);
      int unitStart = i;
      while (i < text.length() && isAsciiLetter(text.charAt(i))) {
        i++;
      }
      String unit = text.substring(unitStart, i);
      if (unit.isEmpty()) {
        if (i < text.length() && !isAsciiDigit(text.charAt(i))) {
          throw new IllegalArgumentException(
              "invalid character '" + text.charAt(i) + "' in \"" + text + "\"");
        }
        throw new IllegalArgumentException(
            "time unit needed, for example " + number + "s or " + number + "ms");
      }
      Duration unitLength = UNITS.get(unit);
      if (unitLength == null) {
        throw new IllegalArgumentException(
            "unknown time unit \""
                + unit
                + "\" in \""
                + text
                + "\"; supported units: ns, us,"
                + " ms, s, m, h, d, w, M (months), y and longer spellings such as mins or hours");
      }
      try {
        total = total.plus(unitLength.multipliedBy(Long.parseLong(number)));
      } catch (ArithmeticException | NumberFormatException tooLarge) {
        throw new IllegalArgumentException("duration \"" + text + "\" is too large");
      }
      i = skipWhitespace(text, i);
    }
    return total;
  }

  /**
   * Formats a duration as the parser reads it, with the largest units first and no zero spans:
   * {@code 24h}, {@code 1m 30s}, {@code 500ms}, {@code 0s}. Unlike humantime's own formatter this
   * stops at hours, because its days/months/years use averaged month lengths (a 31-day duration
   * would print as {@code 1month 13h 26m 24s}).
   */
  public static String format(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("negative duration: " + duration);
    }
    if (duration.isZero()) {
      return "0s";
    }
    long seconds = duration.getSeconds();
    long nanos = duration.getNano();
    long[] amounts = {
      seconds / 3600,
      seconds % 3600 / 60,
      seconds % 60,
      nanos / 1_000_000,
      nanos / 1_000 % 1_000,
      nanos % 1_000
    };
    String[] units = {"h", "m", "s", "ms", "us", "ns"};
    StringBuilder text = new StringBuilder();
    for (int k = 0; k < amounts.length; k++) {
      if (amounts[k] != 0) {
        text.append(text.length() == 0 ? "" : " ").append(amounts[k]).append(units[k]);
      }
    }
    return text.toString();
  }

  private static int skipWhitespace(String text, int from) {
    int i = from;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isAsciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
