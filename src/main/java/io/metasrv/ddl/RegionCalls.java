package io.metasrv.ddl;

import io.metasrv.kv.KvFutures;
import io.metasrv.metadata.Peer;
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Sends region requests to their datanodes all at once and waits for every answer, as
 * GreptimeDB's DDL procedures do. A request the datanode did not carry out decides what the
 * procedure does: a retryable failure runs the state again later (every request again: they are
 * idempotent on the datanode), any other failure ends the procedure, unless its kind is one the
 * caller takes as done (RegionNotFound on drop).
 */
final class RegionCalls {

  /** One request to one datanode. */
  record Call(Peer peer, RegionRequest request) {}

  private RegionCalls() {}

  /**
   * Sends every call and waits for every answer.
   *
   * @return the answers in the calls' order (null for a request taken as done)
   */
  static List<RegionResponse> sendAll(RegionServer server, List<Call> calls,
      RegionServerException.Kind done) throws RetryLaterException {
    return awaitAll(send(server, calls), done);
  }

  /** Sends every call; the answers to come, in the calls' order (see {@link #awaitAll}). */
  static List<CompletableFuture<RegionResponse>> send(RegionServer server, List<Call> calls) {
    List<CompletableFuture<RegionResponse>> answers = new ArrayList<>(calls.size());
    for (Call call : calls) {
      CompletableFuture<RegionResponse> answer;
      try {
        answer = server.handle(call.peer(), call.request());
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      answers.add(answer);
    }
    return answers;
  }

  /**
   * Waits for every answer of {@link #send}.
   *
   * @return the answers in the calls' order (null for a request taken as done)
   */
  static List<RegionResponse> awaitAll(List<CompletableFuture<RegionResponse>> answers,
      RegionServerException.Kind done) throws RetryLaterException {
    RegionServerException retryable = null;
    List<RegionResponse> responses = new ArrayList<>(answers.size());
    for (CompletableFuture<RegionResponse> answer : answers) {
      try {
        responses.add(answer.join());
      } catch (CompletionException e) {
        Throwable cause = KvFutures.cause(e);
        if (!(cause instanceof RegionServerException failed)) {
          throw new DdlException(DdlException.INTERNAL, "region request failed: " + cause, cause);
        }
        if (failed.kind() == done) {
          responses.add(null);
          continue;
        }
        if (failed.kind() != RegionServerException.Kind.RETRYABLE) {
          int code = failed.greptimeStatusCode() == 0 ? DdlException.INTERNAL
              : failed.greptimeStatusCode();
          throw new DdlException(code, failed.getMessage(), failed);
        }
        retryable = failed;
      }
    }
    if (retryable != null) {
      throw new RetryLaterException("a datanode is unreachable: " + retryable.getMessage(),
          retryable);
    }
    return responses;
  }
}
