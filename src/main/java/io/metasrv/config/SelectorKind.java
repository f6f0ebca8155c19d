package io.metasrv.config;

import java.util.Locale;

/** How a datanode is chosen for a new region ({@code selector}). */
public enum SelectorKind implements ConfigEnum {
  ROUND_ROBIN,
  LEASE_BASED,
  LOAD_BASED;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
