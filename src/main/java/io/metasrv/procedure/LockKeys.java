package io.metasrv.procedure;
public record LockKeys(java.util.List<LockKey> keys) {
  public static LockKeys of(LockKey... keys) { return new LockKeys(java.util.Arrays.stream(keys).sorted().toList()); }
}
