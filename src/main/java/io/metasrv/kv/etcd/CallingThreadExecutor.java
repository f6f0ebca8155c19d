package io.metasrv.kv.etcd;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs each task at once on the thread that submits it.
 *
 * <p>jetcd hands every unary call to its executor only to start it (build the request, hand it
 * to the gRPC channel, which never blocks); with its default pool that is a thread switch per
 * call for nothing. Answers and retries are unaffected: answers arrive on jetcd's event loop, and
 * a retry after a back-off starts on Failsafe's delay thread.
 */
final class CallingThreadExecutor extends AbstractExecutorService {
  private volatile boolean shutdown;

  @Override
  public void execute(Runnable task) {
    if (shutdown) {
      throw new RejectedExecutionException("etcd client closed");
    }
    task.run();
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }
}
