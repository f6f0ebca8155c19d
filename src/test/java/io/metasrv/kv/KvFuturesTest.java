package io.metasrv.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class KvFuturesTest {

  @Test
  void startReturnsTheCallsOwnFuture() {
    CompletableFuture<String> pending = new CompletableFuture<>();
    assertThat(KvFutures.start(() -> pending)).isSameAs(pending);
  }

  @Test
  void startTurnsWhatTheCallThrowsIntoTheFailedFuture() {
    InvalidKeyException refused = new InvalidKeyException(Bytes.EMPTY, "key is not provided");
    CompletableFuture<String> result = KvFutures.start(() -> {
      throw refused;
    });
    assertThat(result).isCompletedExceptionally();
    assertThat(result.handle((value, error) -> error).join()).isSameAs(refused);
  }

  @Test
  void nowCompletesWithTheValueOrTheException() {
    assertThat(KvFutures.now(() -> "v").join()).isEqualTo("v");
    KvException failed = new KvException("down");
    CompletableFuture<String> result = KvFutures.now(() -> {
      throw failed;
    });
    assertThat(result.handle((value, error) -> error).join()).isSameAs(failed);
  }

  @Test
  void causeUnwrapsCompletionAndExecutionWrappers() {
    KvException root = new KvException("down");
    assertThat(KvFutures.cause(new CompletionException(new ExecutionException(root))))
        .isSameAs(root);
    assertThat(KvFutures.cause(root)).isSameAs(root);
  }
}
