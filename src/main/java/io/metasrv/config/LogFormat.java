package io.metasrv.config;

import java.util.Locale;

/** Log line format ({@code logging.log_format}). */
public enum LogFormat implements ConfigEnum {
  TEXT,
  JSON;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
