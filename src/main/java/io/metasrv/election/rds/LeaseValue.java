package io.metasrv.election.rds;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Optional;

/**
 * A value with an expiry as GreptimeDB's SQL elections store it: {@code
 * <value>||__metadata_lease_sep||<expiry>}, the expiry being the database's time (UTC here) plus
 * the lease, written by the database itself; read together with the database's time now, so
 * that expiry never depends on a node's clock.
 *
 * @param value the leader's address, or a candidate's node info as JSON
 * @param expiresAt when the value lapses, on the database's clock
 * @param databaseNow the database's time when the value was read
 */
record LeaseValue(String value, LocalDateTime expiresAt, LocalDateTime databaseNow) {
  static final String SEPARATOR = "||__metadata_lease_sep||";

  /** {@code 2026-01-02 03:04:05.678}, with 0 to 9 fraction digits. */
  private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
      .appendPattern("yyyy-MM-dd HH:mm:ss")
      .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
      .toFormatter();

  /** The stored value, or empty when it is not of this shape (someone else's key). */
  static Optional<LeaseValue> parse(byte[] stored, String databaseNow) {
    String text = new String(stored, StandardCharsets.UTF_8);
    int separator = text.lastIndexOf(SEPARATOR);
    if (separator < 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(new LeaseValue(text.substring(0, separator),
          LocalDateTime.parse(text.substring(separator + SEPARATOR.length()), TIME),
          LocalDateTime.parse(databaseNow, TIME)));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  boolean live() {
    return expiresAt.isAfter(databaseNow);
  }

  /** How long until it lapses, by the database's clock; negative once it has. */
  long millisLeft() {
    return java.time.Duration.between(databaseNow, expiresAt).toMillis();
  }

  /** The bytes every stored form of {@code value} starts with. */
  static byte[] prefixOf(String value) {
    return (value + SEPARATOR).getBytes(StandardCharsets.UTF_8);
  }
}
