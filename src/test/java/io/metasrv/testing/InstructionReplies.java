package io.metasrv.testing;

/**
 * GreptimeDB's {@code InstructionReply} JSON (common-meta {@code instruction.rs} at d701c18150),
 * written here by hand so that the simulated nodes check the server's codecs instead of sharing
 * them: internally tagged by a snake_case {@code "type"}, {@code error} always present ({@code
 * null} when none), as serde_json writes them.
 */
final class InstructionReplies {
  private InstructionReplies() {}

  static String openRegion(boolean result) {
    return "{\"type\":\"open_region\",\"result\":" + result + ",\"error\":null}";
  }

  static String closeRegion(boolean result) {
    return "{\"type\":\"close_region\",\"result\":" + result + ",\"error\":null}";
  }

  static String upgradeRegion(boolean ready, boolean exists) {
    return "{\"type\":\"upgrade_region\",\"ready\":" + ready + ",\"exists\":" + exists
        + ",\"error\":null}";
  }

  /** @param lastEntryId the region's last entry id, or null when it does not exist */
  static String downgradeRegion(Long lastEntryId, boolean exists) {
    return "{\"type\":\"downgrade_region\",\"last_entry_id\":"
        + (lastEntryId == null ? "null" : Long.toUnsignedString(lastEntryId))
        + ",\"exists\":" + exists + ",\"error\":null}";
  }
}
