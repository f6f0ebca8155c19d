package io.metasrv.kv.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.Status;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.Compare;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.DeleteRangeResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvFutures;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.RangeResponse;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.TxnOpResponse;
import io.metasrv.kv.TxnResponse;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KvBackend} over etcd v3: its KV calls go straight to etcd's gRPC service through {@link
 * EtcdKvChannel}; the jetcd client it also holds is the etcd election's ({@link #client()}).
 *
 * <p>Every call waits at most the configured request timeout; etcd being down, unreachable or
 * too slow surfaces as {@link KvUnavailableException} naming the endpoints and the operation.
 * The gRPC channel reconnects on its own, so one instance survives etcd restarts.
 *
 * <p>Limits are checked before anything is sent: a transaction above {@code max_txn_ops} or a
 * value above {@code max_metadata_value_size} never reaches etcd.
 */
public final class EtcdKv implements KvBackend {
  private static final Logger log = LoggerFactory.getLogger(EtcdKv.class);

  private final EtcdKvConfig config;
  private final KvLimits limits;
  private final Client client;
  private final EtcdKvChannel kv;
  private final String endpoints;

  private EtcdKv(EtcdKvConfig config, KvLimits limits, Client client, EtcdKvChannel kv) {
    this.config = config;
    this.limits = limits;
    this.client = client;
    this.kv = kv;
    this.endpoints = config.endpoints().toString();
  }

  /**
   * Creates the client. No connection is made yet: gRPC connects on the first call, so an etcd
   * that is down now is reported by that call, not here.
   */
  public static EtcdKv connect(EtcdKvConfig config, KvLimits limits) {
    ClientBuilder builder = Client.builder()
        .endpoints(config.endpoints())
        .connectTimeout(config.connectTimeout())
        // jetcd retries idempotent calls on UNAVAILABLE; never longer than we wait for them
        .retryMaxDuration(config.requestTimeout())
        .interceptor(new KvCallDeadline(config.requestTimeout()))
        // calls start on the caller's thread rather than after a hop to jetcd's pool
        .executorService(new CallingThreadExecutor())
        .maxInboundMessageSize(config.maxResponseBytes());
    if (config.username() != null) {
      builder.user(ByteSequence.from(config.username(), StandardCharsets.UTF_8))
          .password(ByteSequence.from(config.password(), StandardCharsets.UTF_8));
    }
    if (config.usesTls()) {
      builder.sslContext(sslContext(config.tls()));
    }
    log.info("etcd backend: endpoints={} tls={} auth={}", config.endpoints(), config.usesTls(),
        config.username() != null);
    return new EtcdKv(config, limits, builder.build(), EtcdKvChannel.open(config));
  }

  private static io.netty.handler.ssl.SslContext sslContext(EtcdKvConfig.Tls tls) {
    SslContextBuilder ssl = GrpcSslContexts.forClient();
    try {
      if (tls != null && tls.caCertPath() != null) {
        ssl.trustManager(tls.caCertPath().toFile());
      }
      if (tls != null && tls.certPath() != null) {
        ssl.keyManager(tls.certPath().toFile(), tls.keyPath().toFile());
      }
      return ssl.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new KvException("cannot load etcd TLS material " + tls + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public KvLimits limits() {
    return limits;
  }

  public EtcdKvConfig config() {
    return config;
  }

  /**
   * The jetcd client, for the etcd election to share this store's configuration; it is closed
   * with this store, so close its other users first.
   */
  public Client client() {
    return client;
  }

  // Every operation is asynchronous underneath (gRPC is); the synchronous methods wait for the
  // asynchronous ones, so both forms share one request, one timeout and one error mapping.

  @Override
  public RangeResponse range(RangeRequest request) {
    return await(rangeAsync(request));
  }

  @Override
  public CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    return KvFutures.start(() -> {
      KvLimits.checkRange(request);
      CompletableFuture<RangeResponse> result = new CompletableFuture<>();
      // revision 0 reads the latest; pinned after the first page so all pages agree
      rangePage(request, new ArrayList<>(), request.key(), config.rangePageSize(), 0, result);
      return result;
    });
  }

  /** Reads the page from {@code from} on, then the next one, until the range is read. */
  private void rangePage(RangeRequest request, List<KeyValue> kvs, byte[] from, long pageSize,
      long revision, CompletableFuture<RangeResponse> result) {
    long wanted = request.limit() == 0
        ? pageSize
        : Math.min(pageSize, request.limit() - kvs.size());
    call(() -> "range " + Bytes.show(from),
        () -> kv.range(rangeRequest(request, from, wanted, revision)))
        .whenComplete((page, error) -> {
          if (error != null) {
            if (error.getCause() != null && wanted > 1
                && statusCode(error.getCause()) == Status.Code.RESOURCE_EXHAUSTED
                && !etcdExhausted(error.getCause())) {
              // a page of large values outgrew maxResponseBytes: read it in smaller pages
              rangePage(request, kvs, from, wanted / 2, revision, result);
            } else {
              result.completeExceptionally(error);
            }
            return;
          }
          try {
            page.getKvsList().forEach(found -> kvs.add(keyValue(found)));
            if (!page.getMore()) {
              result.complete(new RangeResponse(kvs, false));
            } else if (request.limit() != 0 && kvs.size() >= request.limit()) {
              result.complete(new RangeResponse(kvs, true));
            } else {
              // The smallest key after the last one read: continue right behind it.
              rangePage(request, kvs, Bytes.concat(kvs.get(kvs.size() - 1).key(), Bytes.ZERO),
                  pageSize, page.getHeader().getRevision(), result);
            }
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
  }

  private static io.etcd.jetcd.api.RangeRequest rangeRequest(RangeRequest request, byte[] from,
      long limit, long revision) {
    io.etcd.jetcd.api.RangeRequest.Builder range = io.etcd.jetcd.api.RangeRequest.newBuilder()
        .setKey(bytes(from))
        .setLimit(limit)
        .setRevision(revision)
        .setKeysOnly(request.keysOnly());
    if (request.rangeEnd().length > 0) {
      range.setRangeEnd(bytes(request.rangeEnd()));
    }
    return range.build();
  }

  private static io.etcd.jetcd.api.RangeRequest getRequest(byte[] key) {
    return io.etcd.jetcd.api.RangeRequest.newBuilder().setKey(bytes(key)).build();
  }

  private static PutRequest putRequest(byte[] key, byte[] value, boolean prevKv) {
    return PutRequest.newBuilder()
        .setKey(bytes(key))
        .setValue(bytes(value))
        .setPrevKv(prevKv)
        .build();
  }

  private static DeleteRangeRequest deleteRequest(byte[] key, boolean prevKv) {
    return DeleteRangeRequest.newBuilder().setKey(bytes(key)).setPrevKv(prevKv).build();
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    return await(getAsync(key));
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    return KvFutures.start(() -> {
      KvLimits.checkKey(key);
      return call(() -> "get " + Bytes.show(key), () -> kv.range(getRequest(key)),
          response -> response.getKvsList().stream().findFirst().map(EtcdKv::keyValue));
    });
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    return await(putAsync(key, value));
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return KvFutures.start(() -> {
      limits.checkPut(key, value);
      return call(() -> "put " + Bytes.show(key),
          () -> kv.put(putRequest(key, value, true)),
          response -> response.hasPrevKv()
              ? Optional.of(keyValue(response.getPrevKv()))
              : Optional.empty());
    });
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    return await(batchGetAsync(keys));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    return KvFutures.start(() -> {
      KvLimits.checkKeys(keys);
      List<List<byte[]>> chunks = chunks(distinctKeys(keys));
      return inOrder(chunks, chunk -> call(() -> "batch get of " + chunk.size() + " keys",
          () -> kv.txn(then(chunk.stream()
              .map(key -> RequestOp.newBuilder().setRequestRange(getRequest(key)).build())
              .toList()), true),
          response -> {
            List<KeyValue> found = new ArrayList<>();
            response.getResponsesList().forEach(get ->
                get.getResponseRange().getKvsList().forEach(k -> found.add(keyValue(k))));
            return found;
          }),
          found -> found.sort((a, b) -> Bytes.ORDER.compare(a.key(), b.key())));
    });
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    return await(batchPutAsync(kvs, prevKv));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return KvFutures.start(() -> {
      limits.checkBatchPut(kvs);
      return inOrder(chunks(kvs), chunk -> call(() -> "batch put of " + chunk.size() + " keys",
          () -> kv.txn(then(chunk.stream()
              .map(entry -> RequestOp.newBuilder()
                  .setRequestPut(putRequest(entry.key(), entry.value(), prevKv)).build())
              .toList()), false),
          response -> {
            List<KeyValue> previous = new ArrayList<>();
            if (prevKv) {
              response.getResponsesList().stream()
                  .map(ResponseOp::getResponsePut)
                  .filter(io.etcd.jetcd.api.PutResponse::hasPrevKv)
                  .forEach(put -> previous.add(keyValue(put.getPrevKv())));
            }
            return previous;
          }),
          previous -> { });
    });
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    return await(batchDeleteAsync(keys, prevKv));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return KvFutures.start(() -> {
      KvLimits.checkKeys(keys);
      List<List<byte[]>> chunks = chunks(distinctKeys(keys));
      return inOrder(chunks, chunk -> call(() -> "batch delete of " + chunk.size() + " keys",
          () -> kv.txn(then(chunk.stream()
              .map(key -> RequestOp.newBuilder()
                  .setRequestDeleteRange(deleteRequest(key, prevKv)).build())
              .toList()), false),
          response -> {
            List<KeyValue> deleted = new ArrayList<>();
            if (prevKv) {
              response.getResponsesList().forEach(delete -> delete.getResponseDeleteRange()
                  .getPrevKvsList().forEach(k -> deleted.add(keyValue(k))));
            }
            return deleted;
          }),
          deleted -> { });
    });
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    return await(deleteRangeAsync(request, prevKv));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return KvFutures.start(() -> {
      KvLimits.checkRange(request);
      DeleteRangeRequest.Builder delete = DeleteRangeRequest.newBuilder()
          .setKey(bytes(request.key()))
          .setPrevKv(prevKv);
      if (request.rangeEnd().length > 0) {
        delete.setRangeEnd(bytes(request.rangeEnd()));
      }
      return call(() -> "delete range " + Bytes.show(request.key()),
          () -> kv.deleteRange(delete.build()),
          response -> new DeleteRangeResponse(response.getDeleted(), prevKv
              ? response.getPrevKvsList().stream().map(EtcdKv::keyValue).toList()
              : List.of()));
    });
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    return await(compareAndPutAsync(key, expect, value));
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return KvFutures.start(() -> {
      limits.checkPut(key, value);
      ByteString etcdKey = bytes(key);
      io.etcd.jetcd.api.Compare condition = expect == null
          ? createRevision(etcdKey, io.etcd.jetcd.api.Compare.CompareResult.EQUAL, 0)
          : io.etcd.jetcd.api.Compare.newBuilder()
              .setKey(etcdKey)
              .setResult(io.etcd.jetcd.api.Compare.CompareResult.EQUAL)
              .setTarget(io.etcd.jetcd.api.Compare.CompareTarget.VALUE)
              .setValue(bytes(expect))
              .build();
      TxnRequest request = TxnRequest.newBuilder()
          .addCompare(condition)
          .addSuccess(RequestOp.newBuilder().setRequestPut(putRequest(key, value, true)))
          .addFailure(RequestOp.newBuilder().setRequestRange(getRequest(key)))
          .build();
      return call(() -> "compare and put " + Bytes.show(key),
          () -> kv.txn(request, false),
          response -> {
            if (response.getSucceeded()) {
              io.etcd.jetcd.api.PutResponse put = response.getResponses(0).getResponsePut();
              return new CompareAndPutResponse(true,
                  put.hasPrevKv() ? Optional.of(keyValue(put.getPrevKv())) : Optional.empty());
            }
            return new CompareAndPutResponse(false, response.getResponses(0).getResponseRange()
                .getKvsList().stream().findFirst().map(EtcdKv::keyValue));
          });
    });
  }

  @Override
  public TxnResponse txn(Txn txn) {
    return await(txnAsync(txn));
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    return KvFutures.start(() -> {
      limits.checkTxn(txn);
      return call(
          () -> "txn of " + txn.compares().size() + " compares and " + txn.opCount()
              + " operations",
          () -> kv.txn(TxnRequest.newBuilder()
              .addAllCompare(txn.compares().stream().map(EtcdKv::cmp).toList())
              .addAllSuccess(ops(txn.success()))
              .addAllFailure(ops(txn.failure()))
              .build(), false),
          response -> {
            List<TxnOp> ran = response.getSucceeded() ? txn.success() : txn.failure();
            return new TxnResponse(response.getSucceeded(), opResponses(ran, response),
                response.getHeader().getRevision());
          });
    });
  }

  /** etcd answers each op of the branch that ran, in the branch's order. */
  private static List<TxnOpResponse> opResponses(List<TxnOp> ran,
      io.etcd.jetcd.api.TxnResponse response) {
    List<TxnOpResponse> responses = new ArrayList<>(ran.size());
    for (int i = 0; i < ran.size(); i++) {
      TxnOp op = ran.get(i);
      ResponseOp answer = response.getResponses(i);
      if (op instanceof TxnOp.Put) {
        io.etcd.jetcd.api.PutResponse put = answer.getResponsePut();
        responses.add(new TxnOpResponse.Put(
            put.hasPrevKv() ? Optional.of(keyValue(put.getPrevKv())) : Optional.empty()));
      } else if (op instanceof TxnOp.Get) {
        responses.add(new TxnOpResponse.Get(answer.getResponseRange().getKvsList().stream()
            .findFirst().map(EtcdKv::keyValue)));
      } else {
        responses.add(new TxnOpResponse.Delete(answer.getResponseDeleteRange().getPrevKvsList()
            .stream().findFirst().map(EtcdKv::keyValue)));
      }
    }
    return responses;
  }

  private static TxnRequest then(List<RequestOp> ops) {
    return TxnRequest.newBuilder().addAllSuccess(ops).build();
  }

  private static List<RequestOp> ops(List<TxnOp> ops) {
    return ops.stream().map(EtcdKv::op).toList();
  }

  private static RequestOp op(TxnOp op) {
    if (op instanceof TxnOp.Put put) {
      return RequestOp.newBuilder().setRequestPut(putRequest(put.key(), put.value(), true))
          .build();
    }
    if (op instanceof TxnOp.Get get) {
      return RequestOp.newBuilder().setRequestRange(getRequest(get.key())).build();
    }
    return RequestOp.newBuilder().setRequestDeleteRange(deleteRequest(op.key(), true)).build();
  }

  private static io.etcd.jetcd.api.Compare cmp(Compare compare) {
    ByteString key = bytes(compare.key());
    io.etcd.jetcd.api.Compare.CompareResult result = switch (compare.op()) {
      case EQUAL -> io.etcd.jetcd.api.Compare.CompareResult.EQUAL;
      case NOT_EQUAL -> io.etcd.jetcd.api.Compare.CompareResult.NOT_EQUAL;
      case GREATER -> io.etcd.jetcd.api.Compare.CompareResult.GREATER;
      case LESS -> io.etcd.jetcd.api.Compare.CompareResult.LESS;
    };
    io.etcd.jetcd.api.Compare.Builder etcd = io.etcd.jetcd.api.Compare.newBuilder()
        .setKey(key)
        .setResult(result);
    return switch (compare.target()) {
      // etcd fails a value compare on a missing key, as the contract asks
      case VALUE -> etcd.setTarget(io.etcd.jetcd.api.Compare.CompareTarget.VALUE)
          .setValue(bytes(compare.value())).build();
      case VERSION -> etcd.setTarget(io.etcd.jetcd.api.Compare.CompareTarget.VERSION)
          .setVersion(compare.operand()).build();
      case EXISTS -> existenceCmp(key, compare);
    };
  }

  /**
   * EXISTS compares 1 (present) or 0 (absent) with the operand; etcd knows existence only as a
   * create revision, which is 0 exactly when the key is absent. Which of the two states satisfy
   * the compare decides the etcd condition.
   */
  private static io.etcd.jetcd.api.Compare existenceCmp(ByteString key, Compare compare) {
    boolean holdsWhenPresent = compare.holds(new KeyValue(compare.key(), Bytes.EMPTY, 1, 1));
    boolean holdsWhenAbsent = compare.holds(null);
    if (holdsWhenPresent && holdsWhenAbsent) {
      // always holds
      return createRevision(key, io.etcd.jetcd.api.Compare.CompareResult.GREATER, -1);
    }
    if (holdsWhenPresent) {
      return createRevision(key, io.etcd.jetcd.api.Compare.CompareResult.GREATER, 0);
    }
    if (holdsWhenAbsent) {
      return createRevision(key, io.etcd.jetcd.api.Compare.CompareResult.EQUAL, 0);
    }
    // never holds
    return createRevision(key, io.etcd.jetcd.api.Compare.CompareResult.LESS, 0);
  }

  private static io.etcd.jetcd.api.Compare createRevision(ByteString key,
      io.etcd.jetcd.api.Compare.CompareResult result, long revision) {
    return io.etcd.jetcd.api.Compare.newBuilder()
        .setKey(key)
        .setResult(result)
        .setTarget(io.etcd.jetcd.api.Compare.CompareTarget.CREATE)
        .setCreateRevision(revision)
        .build();
  }

  @Override
  public void close() {
    kv.close();
    client.close();
  }

  @Override
  public String toString() {
    return "EtcdKv" + endpoints;
  }

  // ---- chunking

  private <T> List<List<T>> chunks(List<T> items) {
    List<List<T>> chunks = new ArrayList<>();
    for (int from = 0; from < items.size(); from += limits.maxTxnOps()) {
      chunks.add(items.subList(from, Math.min(items.size(), from + limits.maxTxnOps())));
    }
    return chunks;
  }

  // ---- calls, waiting and error mapping

  /**
   * Starts a call and maps its outcome: the value, or the {@link KvException} that says what
   * failed. The call fails with {@link KvUnavailableException} when it has not completed within
   * the request timeout (retries included); {@link KvCallDeadline} ends the gRPC call
   * itself by then. {@code operation} describes the call in errors and is built only on failure.
   * The returned future fails with the mapped exception itself, never wrapped.
   */
  private <T> CompletableFuture<T> call(Supplier<String> operation,
      Supplier<CompletableFuture<T>> start) {
    if (kv.isShutdown()) {
      return CompletableFuture.failedFuture(new KvException(
          "etcd " + endpoints + ": " + operation.get() + " on a closed backend"));
    }
    CompletableFuture<T> call;
    try {
      call = start.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(failure(operation.get(), e));
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    call.orTimeout(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete((value, error) -> {
          if (error == null) {
            result.complete(value);
          } else if (error instanceof TimeoutException) {
            result.completeExceptionally(new KvUnavailableException("etcd " + endpoints + ": "
                + operation.get() + " did not complete within " + config.requestTimeout(), error));
          } else {
            result.completeExceptionally(failure(operation.get(), error));
          }
        });
    return result;
  }

  /** {@link #call(Supplier, Supplier)}, its value converted by {@code convert}. */
  private <T, R> CompletableFuture<R> call(Supplier<String> operation,
      Supplier<CompletableFuture<T>> start, Function<T, R> convert) {
    CompletableFuture<R> result = new CompletableFuture<>();
    call(operation, start).whenComplete((value, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
        return;
      }
      try {
        result.complete(convert.apply(value));
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /**
   * Calls {@code call} for each chunk, one after another, and joins their lists, then lets
   * {@code finish} arrange the joined list; fails with the first failure, unwrapped.
   */
  private static <C, T> CompletableFuture<List<T>> inOrder(List<C> chunks,
      Function<C, CompletableFuture<List<T>>> call, java.util.function.Consumer<List<T>> finish) {
    CompletableFuture<List<T>> result = new CompletableFuture<>();
    List<T> joined = new ArrayList<>();
    nextChunk(chunks, 0, call, joined, finish, result);
    return result;
  }

  private static <C, T> void nextChunk(List<C> chunks, int index,
      Function<C, CompletableFuture<List<T>>> call, List<T> joined,
      java.util.function.Consumer<List<T>> finish, CompletableFuture<List<T>> result) {
    if (index == chunks.size()) {
      try {
        finish.accept(joined);
        result.complete(joined);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
      return;
    }
    call.apply(chunks.get(index)).whenComplete((part, error) -> {
      if (error != null) {
        result.completeExceptionally(KvFutures.cause(error));
        return;
      }
      joined.addAll(part);
      nextChunk(chunks, index + 1, call, joined, finish, result);
    });
  }

  /**
   * Waits for an operation started by an async method, for the synchronous one: returns its value
   * or throws the exception it failed with. The wait is bounded by the operation's own timeouts.
   */
  private <T> T await(CompletableFuture<T> operation) {
    try {
      return operation.get();
    } catch (InterruptedException e) {
      operation.cancel(true);
      Thread.currentThread().interrupt();
      throw new KvException("interrupted while waiting for etcd " + endpoints, e);
    } catch (ExecutionException e) {
      Throwable cause = KvFutures.cause(e);
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new KvException("etcd " + endpoints + ": " + cause, cause);
    }
  }

  private KvException failure(String operation, Throwable error) {
    Throwable cause = KvFutures.cause(error);
    Status.Code code = statusCode(cause);
    String message = "etcd " + endpoints + ": " + operation + " failed: " + cause.getMessage();
    if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
        || etcdExhausted(cause)) {
      return new KvUnavailableException(message, cause);
    }
    return new KvException(message, cause);
  }

  /**
   * Whether etcd itself answered RESOURCE_EXHAUSTED ("etcdserver: too many requests",
   * "etcdserver: mvcc: database space exceeded"): the store cannot take the request now, which
   * is not the request's fault. gRPC's own RESOURCE_EXHAUSTED (a message over a size limit) is.
   */
  private static boolean etcdExhausted(Throwable error) {
    Status status = Status.fromThrowable(error);
    return status.getCode() == Status.Code.RESOURCE_EXHAUSTED && status.getDescription() != null
        && status.getDescription().startsWith("etcdserver:");
  }

  /** The gRPC status code behind an error; {@code UNKNOWN} when it did not come from gRPC. */
  private static Status.Code statusCode(Throwable error) {
    return Status.fromThrowable(KvFutures.cause(error)).getCode();
  }

  // ---- conversions

  private static ByteString bytes(byte[] b) {
    return ByteString.copyFrom(b);
  }

  private static KeyValue keyValue(io.etcd.jetcd.api.KeyValue kv) {
    return new KeyValue(kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getVersion(),
        kv.getModRevision());
  }

  private static List<byte[]> distinctKeys(List<byte[]> keys) {
    TreeMap<byte[], byte[]> distinct = new TreeMap<>(Bytes.ORDER);
    keys.forEach(key -> distinct.put(key, key));
    return List.copyOf(distinct.values());
  }
}
