package io.metasrv.kv;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Helpers for the asynchronous forms of {@link KvBackend}. */
public final class KvFutures {
  private KvFutures() {}

  /**
   * The result of a synchronous call as a completed future: its value, or the exception it threw.
   */
  public static <T> CompletableFuture<T> now(Supplier<T> call) {
    try {
      return CompletableFuture.completedFuture(call.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Starts an asynchronous call; what it throws before returning its future (a limit check, a
   * bad argument) becomes a failed future, so callers of the async forms meet every failure in
   * the future and never as an exception from the call itself.
   */
  public static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The failure a future completed with, without the {@link CompletionException} or {@link
   * ExecutionException} wrappers that dependent stages and {@code get()} add.
   */
  public static Throwable cause(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
