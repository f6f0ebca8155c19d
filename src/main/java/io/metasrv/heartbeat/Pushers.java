package io.metasrv.heartbeat;

import io.metasrv.protocol.Role;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The nodes' open heartbeat streams by {@link PusherKey}, as GreptimeDB's {@code Pushers}: a
 * node's newer stream replaces its older one. Unlike GreptimeDB, an ending stream removes its own
 * entry only, never the newer stream that replaced it.
 *
 * <p>Thread-safe: streams register and end on transport threads while the mailbox sends.
 */
public final class Pushers {
  private final Map<PusherKey, Pusher> byKey = new ConcurrentHashMap<>();
  /** GreptimeDB numbers frontend streams from 0 in each process; member ids of frontends are 0. */
  private final AtomicLong nextFrontendId = new AtomicLong();

  /**
   * The key of a new stream whose first request came from {@code role} {@code memberId}:
   * datanodes and flownodes by member id, frontends by a number of their own.
   */
  public PusherKey keyFor(Role role, long memberId) {
    return role == Role.FRONTEND
        ? new PusherKey(role, nextFrontendId.getAndIncrement())
        : new PusherKey(role, memberId);
  }

  /** Registers the stream; a stream registered earlier under the same key is replaced. */
  public void register(PusherKey key, Pusher pusher) {
    byKey.put(key, pusher);
  }

  /** Removes the stream's entry, unless a newer stream has replaced it. */
  public void deregister(PusherKey key, Pusher pusher) {
    byKey.remove(key, pusher);
  }

  public Optional<Pusher> get(PusherKey key) {
    return Optional.ofNullable(byKey.get(key));
  }

  /** The open streams of {@code role}'s nodes. */
  public List<Map.Entry<PusherKey, Pusher>> ofRole(Role role) {
    return byKey.entrySet().stream().filter(entry -> entry.getKey().role() == role)
        .map(entry -> Map.entry(entry.getKey(), entry.getValue()))
        .toList();
  }

  /** How many streams of {@code role}'s nodes are open. */
  public long count(Role role) {
    return byKey.keySet().stream().filter(key -> key.role() == role).count();
  }
}
