package io.metasrv.kv;

/**
 * A value a store keeps in a form of its own and writes out as bytes each time it is read: for
 * values rewritten far more often than read, whose byte form is several times larger than what
 * it is made from (the leader's datanode stats, {@link MemoryKv#putValueOnRead}). Every call
 * returns the same bytes.
 */
@FunctionalInterface
public interface ValueOnRead {
  byte[] bytes();
}
