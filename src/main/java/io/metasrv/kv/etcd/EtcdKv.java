package io.metasrv.kv.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.Status;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.Compare;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.DeleteRangeResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
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
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KvBackend} over etcd v3 through jetcd.
 *
 * <p>Every call waits at most the configured request timeout; etcd being down, unreachable or
 * too slow surfaces as {@link KvUnavailableException} naming the endpoints and the operation.
 * jetcd's gRPC channel reconnects on its own, so one instance survives etcd restarts.
 *
 * <p>Limits are checked before anything is sent: a transaction above {@code max_txn_ops} or a
 * value above {@code max_metadata_value_size} never reaches etcd.
 */
public final class EtcdKv implements KvBackend {
  private static final Logger log = LoggerFactory.getLogger(EtcdKv.class);

  private static final PutOption PUT_WITH_PREV = PutOption.builder().withPrevKV().build();
  private static final DeleteOption DELETE_WITH_PREV =
      DeleteOption.builder().withPrevKV(true).build();

  private final EtcdKvConfig config;
  private final KvLimits limits;
  private final Client client;
  private final KV kv;
  private final String endpoints;

  private EtcdKv(EtcdKvConfig config, KvLimits limits, Client client) {
    this.config = config;
    this.limits = limits;
    this.client = client;
    this.kv = client.getKVClient();
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
    return new EtcdKv(config, limits, builder.build());
  }

  private static io.netty.handler.ssl.SslContext sslContext(EtcdKvConfig.Tls tls) {
    SslContextBuilder ssl = GrpcSslContexts.forClient();
    if (tls != null && tls.caCertPath() != null) {
      ssl.trustManager(tls.caCertPath().toFile());
    }
    if (tls != null && tls.certPath() != null) {
      ssl.keyManager(tls.certPath().toFile(), tls.keyPath().toFile());
    }
    try {
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
   * The jetcd client, for the etcd election to share this connection; it is closed with this
   * store, so close its other users first.
   */
  public Client client() {
    return client;
  }

  @Override
  public RangeResponse range(RangeRequest request) {
    KvLimits.checkRange(request);
    List<KeyValue> kvs = new ArrayList<>();
    byte[] from = request.key();
    long pageSize = config.rangePageSize();
    long revision = 0; // 0 reads the latest; pinned after the first page so all pages agree
    while (true) {
      long wanted = request.limit() == 0
          ? pageSize
          : Math.min(pageSize, request.limit() - kvs.size());
      GetResponse page;
      byte[] pageStart = from;
      try {
        page = await(() -> "range " + Bytes.show(pageStart),
            kv.get(bytes(pageStart), rangeOption(request, wanted, revision)));
      } catch (KvException e) {
        if (e.getCause() != null && wanted > 1
            && statusCode(e.getCause()) == Status.Code.RESOURCE_EXHAUSTED) {
          pageSize = wanted / 2; // a page of large values outgrew maxResponseBytes
          continue;
        }
        throw e;
      }
      revision = page.getHeader().getRevision();
      page.getKvs().forEach(found -> kvs.add(keyValue(found)));
      if (!page.isMore()) {
        return new RangeResponse(kvs, false);
      }
      if (request.limit() != 0 && kvs.size() >= request.limit()) {
        return new RangeResponse(kvs, true);
      }
      // The smallest key after the last one read: continue right behind it.
      from = Bytes.concat(kvs.get(kvs.size() - 1).key(), Bytes.ZERO);
    }
  }

  private static GetOption rangeOption(RangeRequest request, long limit, long revision) {
    GetOption.Builder option = GetOption.builder()
        .withLimit(limit)
        .withRevision(revision)
        .withKeysOnly(request.keysOnly());
    if (request.rangeEnd().length > 0) {
      option.withRange(bytes(request.rangeEnd()));
    }
    return option.build();
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    KvLimits.checkKey(key);
    GetResponse response = await(() -> "get " + Bytes.show(key), kv.get(bytes(key)));
    return response.getKvs().stream().findFirst().map(EtcdKv::keyValue);
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    limits.checkPut(key, value);
    PutResponse response = await(() -> "put " + Bytes.show(key),
        kv.put(bytes(key), bytes(value), PUT_WITH_PREV));
    return response.hasPrevKv() ? Optional.of(keyValue(response.getPrevKv())) : Optional.empty();
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    KvLimits.checkKeys(keys);
    List<byte[]> distinct = distinctKeys(keys);
    List<KeyValue> found = new ArrayList<>();
    for (List<byte[]> chunk : chunks(distinct)) {
      Op[] gets = chunk.stream()
          .map(key -> Op.get(bytes(key), GetOption.DEFAULT))
          .toArray(Op[]::new);
      io.etcd.jetcd.kv.TxnResponse response =
          await(() -> "batch get of " + chunk.size() + " keys", kv.txn().Then(gets).commit());
      response.getGetResponses().forEach(get -> get.getKvs().forEach(k -> found.add(keyValue(k))));
    }
    found.sort((a, b) -> Bytes.ORDER.compare(a.key(), b.key()));
    return found;
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    limits.checkBatchPut(kvs);
    PutOption option = prevKv ? PUT_WITH_PREV : PutOption.DEFAULT;
    List<KeyValue> previous = new ArrayList<>();
    for (List<KeyValue> chunk : chunks(kvs)) {
      Op[] puts = chunk.stream()
          .map(entry -> Op.put(bytes(entry.key()), bytes(entry.value()), option))
          .toArray(Op[]::new);
      io.etcd.jetcd.kv.TxnResponse response =
          await(() -> "batch put of " + chunk.size() + " keys", kv.txn().Then(puts).commit());
      if (prevKv) {
        response.getPutResponses().stream()
            .filter(PutResponse::hasPrevKv)
            .forEach(put -> previous.add(keyValue(put.getPrevKv())));
      }
    }
    return previous;
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    KvLimits.checkKeys(keys);
    DeleteOption option = prevKv ? DELETE_WITH_PREV : DeleteOption.DEFAULT;
    List<KeyValue> deleted = new ArrayList<>();
    for (List<byte[]> chunk : chunks(distinctKeys(keys))) {
      Op[] deletes = chunk.stream().map(key -> Op.delete(bytes(key), option)).toArray(Op[]::new);
      io.etcd.jetcd.kv.TxnResponse response =
          await(() -> "batch delete of " + chunk.size() + " keys",
              kv.txn().Then(deletes).commit());
      if (prevKv) {
        response.getDeleteResponses()
            .forEach(delete -> delete.getPrevKvs().forEach(k -> deleted.add(keyValue(k))));
      }
    }
    return deleted;
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    KvLimits.checkRange(request);
    DeleteOption.Builder option = DeleteOption.builder().withPrevKV(prevKv);
    if (request.rangeEnd().length > 0) {
      option.withRange(bytes(request.rangeEnd()));
    }
    io.etcd.jetcd.kv.DeleteResponse response = await(
        () -> "delete range " + Bytes.show(request.key()),
        kv.delete(bytes(request.key()), option.build()));
    List<KeyValue> deleted = prevKv
        ? response.getPrevKvs().stream().map(EtcdKv::keyValue).toList()
        : List.of();
    return new DeleteRangeResponse(response.getDeleted(), deleted);
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    limits.checkPut(key, value);
    ByteSequence etcdKey = bytes(key);
    Cmp condition = expect == null
        ? new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0))
        : new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.value(bytes(expect)));
    io.etcd.jetcd.kv.TxnResponse response = await(() -> "compare and put " + Bytes.show(key),
        kv.txn()
            .If(condition)
            .Then(Op.put(etcdKey, bytes(value), PUT_WITH_PREV))
            .Else(Op.get(etcdKey, GetOption.DEFAULT))
            .commit());
    if (response.isSucceeded()) {
      PutResponse put = response.getPutResponses().get(0);
      return new CompareAndPutResponse(true,
          put.hasPrevKv() ? Optional.of(keyValue(put.getPrevKv())) : Optional.empty());
    }
    GetResponse current = response.getGetResponses().get(0);
    return new CompareAndPutResponse(false,
        current.getKvs().stream().findFirst().map(EtcdKv::keyValue));
  }

  @Override
  public TxnResponse txn(Txn txn) {
    limits.checkTxn(txn);
    io.etcd.jetcd.kv.TxnResponse response = await(
        () -> "txn of " + txn.compares().size() + " compares and " + txn.opCount() + " operations",
        kv.txn()
            .If(txn.compares().stream().map(EtcdKv::cmp).toArray(Cmp[]::new))
            .Then(ops(txn.success()))
            .Else(ops(txn.failure()))
            .commit());
    List<TxnOp> ran = response.isSucceeded() ? txn.success() : txn.failure();
    return new TxnResponse(response.isSucceeded(), opResponses(ran, response),
        response.getHeader().getRevision());
  }

  /**
   * jetcd hands the results back grouped by kind; each group keeps the branch's order, so
   * walking the branch and taking the next result of the op's kind restores the order.
   */
  private static List<TxnOpResponse> opResponses(List<TxnOp> ran,
      io.etcd.jetcd.kv.TxnResponse response) {
    Iterator<PutResponse> puts = response.getPutResponses().iterator();
    Iterator<GetResponse> gets = response.getGetResponses().iterator();
    Iterator<io.etcd.jetcd.kv.DeleteResponse> deletes = response.getDeleteResponses().iterator();
    List<TxnOpResponse> responses = new ArrayList<>(ran.size());
    for (TxnOp op : ran) {
      if (op instanceof TxnOp.Put) {
        PutResponse put = puts.next();
        responses.add(new TxnOpResponse.Put(
            put.hasPrevKv() ? Optional.of(keyValue(put.getPrevKv())) : Optional.empty()));
      } else if (op instanceof TxnOp.Get) {
        responses.add(new TxnOpResponse.Get(
            gets.next().getKvs().stream().findFirst().map(EtcdKv::keyValue)));
      } else {
        responses.add(new TxnOpResponse.Delete(
            deletes.next().getPrevKvs().stream().findFirst().map(EtcdKv::keyValue)));
      }
    }
    return responses;
  }

  private static Op[] ops(List<TxnOp> ops) {
    return ops.stream().map(EtcdKv::op).toArray(Op[]::new);
  }

  private static Op op(TxnOp op) {
    if (op instanceof TxnOp.Put put) {
      return Op.put(bytes(put.key()), bytes(put.value()), PUT_WITH_PREV);
    }
    if (op instanceof TxnOp.Get get) {
      return Op.get(bytes(get.key()), GetOption.DEFAULT);
    }
    return Op.delete(bytes(op.key()), DELETE_WITH_PREV);
  }

  private static Cmp cmp(Compare compare) {
    ByteSequence key = bytes(compare.key());
    Cmp.Op op = switch (compare.op()) {
      case EQUAL -> Cmp.Op.EQUAL;
      case NOT_EQUAL -> Cmp.Op.NOT_EQUAL;
      case GREATER -> Cmp.Op.GREATER;
      case LESS -> Cmp.Op.LESS;
    };
    return switch (compare.target()) {
      // etcd fails a value compare on a missing key, as the contract asks
      case VALUE -> new Cmp(key, op, CmpTarget.value(bytes(compare.value())));
      case VERSION -> new Cmp(key, op, CmpTarget.version(compare.operand()));
      case EXISTS -> existenceCmp(key, compare);
    };
  }

  /**
   * EXISTS compares 1 (present) or 0 (absent) with the operand; etcd knows existence only as a
   * create revision, which is 0 exactly when the key is absent. Which of the two states satisfy
   * the compare decides the etcd condition.
   */
  private static Cmp existenceCmp(ByteSequence key, Compare compare) {
    boolean holdsWhenPresent = compare.holds(new KeyValue(compare.key(), Bytes.EMPTY, 1, 1));
    boolean holdsWhenAbsent = compare.holds(null);
    if (holdsWhenPresent && holdsWhenAbsent) {
      return new Cmp(key, Cmp.Op.GREATER, CmpTarget.createRevision(-1)); // always holds
    }
    if (holdsWhenPresent) {
      return new Cmp(key, Cmp.Op.GREATER, CmpTarget.createRevision(0));
    }
    if (holdsWhenAbsent) {
      return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
    }
    return new Cmp(key, Cmp.Op.LESS, CmpTarget.createRevision(0)); // never holds
  }

  @Override
  public void close() {
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

  // ---- waiting and error mapping

  /** Waits for {@code call}; {@code operation} describes it in errors, built only on failure. */
  private <T> T await(Supplier<String> operation, CompletableFuture<T> call) {
    try {
      return call.get(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new KvUnavailableException("etcd " + endpoints + ": " + operation.get()
          + " did not complete within " + config.requestTimeout(), e);
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new KvException(
          "interrupted while waiting for etcd " + endpoints + ": " + operation.get(), e);
    } catch (ExecutionException e) {
      throw failure(operation.get(), e.getCause());
    }
  }

  private KvException failure(String operation, Throwable error) {
    Throwable cause = unwrap(error);
    Status.Code code = statusCode(cause);
    String message = "etcd " + endpoints + ": " + operation + " failed: " + cause.getMessage();
    if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
      return new KvUnavailableException(message, cause);
    }
    if (cause instanceof ClosedClientException) {
      return new KvException("etcd " + endpoints + ": " + operation + " on a closed backend",
          cause);
    }
    return new KvException(message, cause);
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** The gRPC status code behind an error; {@code UNKNOWN} when it did not come from gRPC. */
  private static Status.Code statusCode(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof EtcdException etcd) {
      return Status.Code.valueOf(etcd.getErrorCode().name());
    }
    return Status.fromThrowable(cause).getCode();
  }

  // ---- conversions

  private static ByteSequence bytes(byte[] b) {
    return ByteSequence.from(b);
  }

  private static KeyValue keyValue(io.etcd.jetcd.KeyValue kv) {
    return new KeyValue(kv.getKey().getBytes(), kv.getValue().getBytes(), kv.getVersion(),
        kv.getModRevision());
  }

  private static List<byte[]> distinctKeys(List<byte[]> keys) {
    TreeMap<byte[], byte[]> distinct = new TreeMap<>(Bytes.ORDER);
    keys.forEach(key -> distinct.put(key, key));
    return List.copyOf(distinct.values());
  }
}
