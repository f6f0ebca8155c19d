package io.metasrv.election.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.metasrv.election.ElectionException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * What etcd says about the leader key, kept current by a watch.
 *
 * <p>The view is read once and then followed by a watch from the next revision, so no change
 * is missed. When the watch fails the view is marked stale; the election thread then reads and
 * watches again ({@link #ensureWatching()}), and meanwhile {@link #leaderAddr()} asks etcd.
 */
final class LeaderKeyWatch implements AutoCloseable {

  /** The node holding the leader key. */
  record Holder(String addr, long createRevision, long leaseId) {}

  /**
   * The view at one moment.
   *
   * @param current whether the watch is running, so the view follows etcd
   * @param revision the etcd revision the view reflects
   */
  record View(boolean current, long revision, Optional<Holder> holder) {}

  private final Client client;
  private final ByteSequence key;
  private final Duration requestTimeout;
  private final Runnable onChange;

  // guarded by this
  private Watch.Watcher watcher;
  private long generation; // of the running watch: events of an older one are ignored
  private boolean current;
  private long revision;
  private Optional<Holder> holder = Optional.empty();
  private boolean closed;

  /**
   * @param onChange told after every change of the view, on a jetcd thread; must not block
   */
  LeaderKeyWatch(Client client, ByteSequence key, Duration requestTimeout, Runnable onChange) {
    this.client = client;
    this.key = key;
    this.requestTimeout = requestTimeout;
    this.onChange = onChange;
  }

  /**
   * Reads the key and watches it, unless a watch is already running.
   *
   * <p>jetcd calls the watch listener while holding its own lock, so jetcd is never called
   * while holding this object's.
   *
   * @throws ElectionException when etcd cannot be read
   */
  void ensureWatching() {
    Watch.Watcher stale;
    synchronized (this) {
      if (closed || current) {
        return;
      }
      stale = watcher;
      watcher = null;
    }
    if (stale != null) {
      stale.close();
    }
    GetResponse read = EtcdCalls.await("read leader key", client.getKVClient().get(key),
        requestTimeout);
    long watchGeneration;
    synchronized (this) {
      if (closed) {
        return;
      }
      watchGeneration = ++generation;
      revision = read.getHeader().getRevision();
      holder = read.getKvs().stream().findFirst().map(LeaderKeyWatch::holderOf);
      current = true;
    }
    WatchOption fromNextRevision = WatchOption.builder()
        .withRevision(read.getHeader().getRevision() + 1).build();
    Watch.Watcher started = client.getWatchClient().watch(key, fromNextRevision,
        Watch.listener(response -> onEvents(watchGeneration, response),
            failure -> markStale(watchGeneration), () -> markStale(watchGeneration)));
    boolean superseded;
    synchronized (this) {
      superseded = closed || generation != watchGeneration;
      if (!superseded) {
        watcher = started;
      }
    }
    if (superseded) {
      started.close();
    }
    onChange.run();
  }

  View view() {
    synchronized (this) {
      return new View(current, revision, holder);
    }
  }

  /**
   * Takes in what a read at {@code atRevision} showed, when it is newer than the view; the
   * watch's own events up to that revision are then skipped.
   */
  void observed(long atRevision, Optional<KeyValue> kv) {
    synchronized (this) {
      if (atRevision > revision) {
        revision = atRevision;
        holder = kv.map(LeaderKeyWatch::holderOf);
      }
    }
  }

  /**
   * Reads the key and takes in what it shows: a watch whose connection died without an error
   * would otherwise hide a deleted key until gRPC notices.
   *
   * @throws ElectionException when etcd cannot be read
   */
  void refresh() {
    GetResponse read = EtcdCalls.await("read leader key", client.getKVClient().get(key),
        requestTimeout);
    observed(read.getHeader().getRevision(), read.getKvs().stream().findFirst());
  }

  /** The leader's address: from the watch when it runs, otherwise read now; empty when unknown. */
  Optional<String> leaderAddr() {
    synchronized (this) {
      if (current) {
        return holder.map(Holder::addr);
      }
    }
    try {
      GetResponse read = EtcdCalls.await("read leader key", client.getKVClient().get(key),
          requestTimeout);
      return read.getKvs().stream().findFirst().map(kv -> holderOf(kv).addr());
    } catch (ElectionException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    Watch.Watcher running;
    synchronized (this) {
      closed = true;
      current = false;
      generation++;
      running = watcher;
      watcher = null;
    }
    if (running != null) {
      running.close();
    }
  }

  private void onEvents(long watchGeneration, WatchResponse response) {
    synchronized (this) {
      if (watchGeneration != generation) {
        return;
      }
      for (WatchEvent event : response.getEvents()) {
        KeyValue kv = event.getKeyValue();
        if (kv.getModRevision() <= revision) {
          continue; // already known from a newer read
        }
        revision = kv.getModRevision();
        holder = event.getEventType() == WatchEvent.EventType.PUT
            ? Optional.of(holderOf(kv))
            : Optional.empty();
      }
    }
    onChange.run();
  }

  private void markStale(long watchGeneration) {
    synchronized (this) {
      if (watchGeneration != generation) {
        return;
      }
      current = false;
    }
    onChange.run();
  }

  private static Holder holderOf(KeyValue kv) {
    return new Holder(kv.getValue().toString(StandardCharsets.UTF_8), kv.getCreateRevision(),
        kv.getLease());
  }
}
