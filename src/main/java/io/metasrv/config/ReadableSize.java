package io.metasrv.config;

/**
 * A size in bytes, written the way GreptimeDB's {@code ReadableSize} writes it. Every unit is
 * binary whatever its spelling: {@code K}, {@code KB} and {@code KiB} all mean 1024 bytes (likewise
 * M, G, T, P); {@code B} or no unit means bytes. The number may have a fraction ({@code 1.5MiB}),
 * which is truncated to whole bytes. Units are case-sensitive, as in GreptimeDB.
 */
public record ReadableSize(long bytes) {
  private static final long KIB = 1024;
  private static final long MIB = KIB * 1024;
  private static final long GIB = MIB * 1024;
  private static final long TIB = GIB * 1024;
  private static final long PIB = TIB * 1024;

  /** Unit prefixes in increasing powers of 1024. */
  private static final String PREFIXES = "KMGTP";

  public ReadableSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must not be negative: " + bytes);
    }
  }

  public static ReadableSize ofBytes(long bytes) {
    return new ReadableSize(bytes);
  }

  public static ReadableSize ofKib(long kib) {
    return new ReadableSize(Math.multiplyExact(kib, KIB));
  }

  public static ReadableSize ofMib(long mib) {
    return new ReadableSize(Math.multiplyExact(mib, MIB));
  }

  /**
   * Parses {@code 1500KiB}, {@code 1.5MiB}, {@code 64MB}, {@code 512B}, {@code 4096}.
   *
   * @throws IllegalArgumentException with a message fit for an operator
   */
  public static ReadableSize parse(String text) {
    String trimmed = text.trim();
    int numberEnd = 0;
    while (numberEnd < trimmed.length() && isNumberChar(trimmed.charAt(numberEnd))) {
      numberEnd++;
    }
    String number = trimmed.substring(0, numberEnd);
    String unit = trimmed.substring(numberEnd).trim();
    long unitBytes = unitBytes(unit);
    if (unitBytes < 0) {
      throw new IllegalArgumentException(
          "invalid size \""
              + text
              + "\": unit must be one of B, KB, KiB, MB, MiB, GB, GiB,"
              + " TB, TiB, PB, PiB (all binary: 1KB = 1KiB = 1024 bytes)");
    }
    double amount;
    try {
      amount = Double.parseDouble(number);
    } catch (NumberFormatException notANumber) {
      throw new IllegalArgumentException("invalid size \"" + text + "\": expected a number");
    }
    if (amount < 0 || number.startsWith("-")) {
      throw new IllegalArgumentException("invalid size \"" + text + "\": must not be negative");
    }
    double total = amount * unitBytes;
    if (total >= 0x1p63) {
      throw new IllegalArgumentException("invalid size \"" + text + "\": too large");
    }
    return new ReadableSize((long) total);
  }

  /**
   * Bytes in {@code unit}, or -1 if it is not a unit: {@code K}, {@code KB} and {@code KiB} alike.
   */
  private static long unitBytes(String unit) {
    if (unit.isEmpty() || unit.equals("B")) {
      return 1;
    }
    int power = PREFIXES.indexOf(unit.charAt(0)) + 1;
    String suffix = unit.substring(1);
    boolean knownSuffix = suffix.isEmpty() || suffix.equals("B") || suffix.equals("iB");
    return power > 0 && knownSuffix ? 1L << (10 * power) : -1;
  }

  private static boolean isNumberChar(char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
  }

  /** The largest binary unit that divides the size exactly: {@code 1500KiB}, {@code 64MiB}. */
  @Override
  public String toString() {
    if (bytes == 0) {
      return "0KiB";
    }
    long[] units = {PIB, TIB, GIB, MIB, KIB};
    String[] names = {"PiB", "TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < units.length; i++) {
      if (bytes % units[i] == 0) {
        return bytes / units[i] + names[i];
      }
    }
    return bytes + "B";
  }
}
