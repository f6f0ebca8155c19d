package io.metasrv.server;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one key from the store at a fixed interval, so that {@code /health} can tell a node that
 * lost its store from a healthy one without waiting on the store itself. Logs only changes.
 */
final class StoreProbe implements BooleanSupplier, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreProbe.class);
  private static final byte[] PROBE_KEY = Bytes.utf8("__metasrv_store_probe");

  private final KvBackend kv;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "metasrv-store-probe");
        t.setDaemon(true);
        return t;
      });
  private volatile boolean reachable = true;

  StoreProbe(KvBackend kv, Duration interval) {
    this.kv = kv;
    scheduler.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void probe() {
    try {
      kv.get(PROBE_KEY);
      if (!reachable) {
        log.info("store reachable again: backend={}", kv.name());
      }
      reachable = true;
    } catch (KvException e) {
      if (reachable) {
        log.warn("store unreachable: backend={}: {}", kv.name(), e.getMessage());
      }
      reachable = false;
    }
  }

  @Override
  public boolean getAsBoolean() {
    return reachable;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
