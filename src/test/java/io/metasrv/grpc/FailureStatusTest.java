package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.metasrv.election.ElectionException;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.TxnTooLargeException;
import io.metasrv.kv.ValueTooLargeException;
import org.junit.jupiter.api.Test;

/** The mapping from failures to statuses that cannot be provoked through a healthy store. */
class FailureStatusTest {

  @Test
  void refusedInputIsInvalidArgument() {
    assertAnswer(new TxnTooLargeException(200, 128), Status.Code.INVALID_ARGUMENT, "1004", true);
    assertAnswer(new ValueTooLargeException(Bytes.utf8("k"), 10, 5), Status.Code.INVALID_ARGUMENT,
        "1004", true);
  }

  @Test
  void aStoreThatRefusesTheRequestInItsOwnStatusIsInvalidArgument() {
    KvException tooLarge = new KvException("etcd: put failed: request is too large",
        Status.INVALID_ARGUMENT.withDescription("etcdserver: request is too large")
            .asRuntimeException());
    assertAnswer(tooLarge, Status.Code.INVALID_ARGUMENT, "1004", true);
  }

  @Test
  void unreachableBackendsAreUnavailable() {
    assertAnswer(new KvUnavailableException("etcd down", null), Status.Code.UNAVAILABLE, "5000",
        true);
    assertAnswer(new ElectionException("candidates unreadable", null), Status.Code.UNAVAILABLE,
        "5000", true);
  }

  @Test
  void anythingElseIsInternalAndUnexpected() {
    assertAnswer(new KvException("closed backend"), Status.Code.INTERNAL, "1003", false);
    assertAnswer(new NullPointerException(), Status.Code.INTERNAL, "1003", false);
  }

  private static void assertAnswer(Throwable failure, Status.Code code, String greptimeCode,
      boolean expected) {
    FailureStatus.Answer answer = FailureStatus.of(failure);
    assertThat(answer.status().getCode()).isEqualTo(code);
    assertThat(answer.trailers().get(FailureStatus.GREPTIME_ERROR_CODE)).isEqualTo(greptimeCode);
    assertThat(answer.expected()).isEqualTo(expected);
  }
}
