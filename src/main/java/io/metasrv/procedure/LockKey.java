package io.metasrv.procedure;
public final class LockKey implements Comparable<LockKey> {
  private final String key; private final boolean exclusive;
  private LockKey(String key, boolean exclusive) { this.key = key; this.exclusive = exclusive; }
  public static LockKey catalogRead(String c) { return new LockKey("__catalog_lock/" + c, false); }
  public static LockKey schemaRead(String c, String s) { return new LockKey("__schema_lock/" + c + "." + s, false); }
  public static LockKey tableRead(long t) { return new LockKey("__table_lock/" + t, false); }
  public static LockKey tableWrite(long t) { return new LockKey("__table_lock/" + t, true); }
  public static LockKey regionWrite(long r) { return new LockKey("__region_lock/" + Long.toUnsignedString(r), true); }
  public String key() { return key; }
  public boolean exclusive() { return exclusive; }
  @Override public int compareTo(LockKey o) { return exclusive != o.exclusive ? (exclusive ? 1 : -1) : key.compareTo(o.key); }
  @Override public String toString() { return (exclusive ? "Exclusive(\"" : "Share(\"") + key + "\")"; }
}
