package io.metasrv.selector;

import java.util.Locale;

/** The kind of node a selector chooses; it names the nodes in errors. */
public enum SelectTarget {
  DATANODE,
  FLOWNODE;

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
