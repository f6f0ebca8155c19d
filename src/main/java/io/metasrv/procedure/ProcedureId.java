package io.metasrv.procedure;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A procedure's id: a random (version 4) UUID, written as the hyphenated lowercase UUID in keys,
 * JSON and messages, as GreptimeDB's {@code ProcedureId}.
 */
public record ProcedureId(UUID uuid) {
  private static final Pattern HYPHENATED =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  public ProcedureId {
    if (uuid == null) {
      throw new IllegalArgumentException("procedure id must not be null");
    }
  }

  public static ProcedureId random() {
    return new ProcedureId(UUID.randomUUID());
  }

  /**
   * Parses the hyphenated form ({@code 9f805a1f-05f7-490c-9f91-bd56e3cc54c1}, either case).
   *
   * @throws IllegalArgumentException for anything else
   */
  public static ProcedureId parse(String text) {
    if (text == null || !HYPHENATED.matcher(text).matches()) {
      throw new IllegalArgumentException("invalid procedure id '" + text
          + "': expected a hyphenated UUID such as 9f805a1f-05f7-490c-9f91-bd56e3cc54c1");
    }
    return new ProcedureId(UUID.fromString(text));
  }

  /** The hyphenated lowercase UUID. */
  @Override
  public String toString() {
    return uuid.toString();
  }
}
