package io.metasrv.election.etcd;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.metasrv.election.ElectionException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for jetcd calls with a bound, and telling their failures apart. */
final class EtcdCalls {
  private EtcdCalls() {}

  /**
   * Waits for {@code call} at most {@code timeout}.
   *
   * <p>jetcd calls wait for the connection and carry no deadline, so one given up on here may
   * still reach etcd later; callers only give up on calls whose late arrival is harmless (a
   * lease that is then revoked, a read).
   *
   * @throws ElectionException naming {@code what} when etcd failed or did not answer in time
   */
  static <T> T await(String what, CompletableFuture<T> call, Duration timeout) {
    try {
      return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancel(false);
      throw new ElectionException(what + ": etcd did not answer within " + timeout, e);
    } catch (ExecutionException e) {
      throw new ElectionException(what + ": " + describe(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ElectionException(what + ": interrupted", e);
    }
  }

  /** Whether etcd answered that the lease does not exist (expired or revoked). */
  static boolean isLeaseNotFound(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND) {
        return true;
      }
      if (Status.fromThrowable(t).getCode() == Status.Code.NOT_FOUND) {
        return true;
      }
    }
    return false;
  }

  /** A one-line description of a failure, for logs that must not carry stack traces. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}
