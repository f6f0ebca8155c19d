package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The state of a region's leader in a table route. GreptimeDB knows one: {@code "Downgrading"}
 * (written while a region migrates away from its leader, whose lease is then granted as
 * DowngradingLeader); older versions wrote {@code "Downgraded"}, read as the same.
 */
public enum LeaderState {
  DOWNGRADING;

  @JsonValue
  String json() {
    return "Downgrading";
  }

  @JsonCreator
  static LeaderState fromJson(String text) {
    if (text.equals("Downgrading") || text.equals("Downgraded")) {
      return DOWNGRADING;
    }
    throw new IllegalArgumentException("unknown variant `" + text + "`, expected `Downgrading`");
  }
}
