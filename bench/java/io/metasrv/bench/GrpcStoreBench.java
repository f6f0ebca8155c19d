package io.metasrv.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.election.StandaloneElection;
import io.metasrv.grpc.GrpcServer;
import io.metasrv.grpc.MessageCompression;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.StoreGrpc;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.server.Metasrv;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.FreePorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Store Put and Range through our gRPC server over etcd, against jetcd straight to the same
 * fresh etcd: what the metasrv hop costs a GreptimeDB node. Keys 32 B, values 256 B; puts ask
 * for the previous value on both sides (our store always reads it), ranges read 100 keys by
 * range end; both sides read linearizably. Rows "plain": our client sends plain messages, as
 * jetcd does, so the ratio is the cost of the hop alone; rows "zstd": our client compresses, as
 * GreptimeDB's meta client does (etcd has no zstd, so jetcd stays plain). Both sides: N threads,
 * one blocking call after another, own channel each.
 */
public final class GrpcStoreBench {
  private static final int KEY_COUNT = 1_000;
  private static final int RANGE_SIZE = 100;
  private static final int KEY_BYTES = 32;
  private static final int VALUE_BYTES = 256;
  private static final Duration WARM_UP = Duration.ofSeconds(1);

  private record Case(String name, String codec, int threads, Throughput.Operation jetcd,
      Throughput.Operation metasrv) {}

  public static void main(String[] args) throws Exception {
    Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
    byte[][] keys = new byte[KEY_COUNT][];
    for (int i = 0; i < KEY_COUNT; i++) {
      keys[i] = fixedSize(String.format("bench/kv/%08d", i), KEY_BYTES);
    }
    byte[] value = new byte[VALUE_BYTES];
    Arrays.fill(value, (byte) 'v');
    byte[] rangePrefix = Bytes.utf8("bench/range/");

    int port = FreePorts.next();
    try (EtcdProcess etcd = EtcdProcess.start();
        Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
      EtcdKv store = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint()), KvLimits.DEFAULT);
      Metasrv node = new Metasrv(new MetasrvNodeInfo("127.0.0.1:" + port, "bench", "bench", 0),
          store, new StandaloneElection(), () -> true);
      GrpcServer server = GrpcServer.start(new InetSocketAddress("127.0.0.1", port), node,
          new SimpleMeterRegistry(), Optional.empty());
      node.start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
          .usePlaintext()
          .compressorRegistry(MessageCompression.compressors())
          .decompressorRegistry(MessageCompression.decompressors())
          .build();
      try {
        run(measure, keys, value, rangePrefix, etcd, client.getKVClient(), store,
            StoreGrpc.newBlockingStub(channel));
      } finally {
        channel.shutdownNow();
        node.shutdown();
        server.close();
      }
    }
  }

  private static void run(Duration measure, byte[][] keys, byte[] value, byte[] rangePrefix,
      EtcdProcess etcd, KV jetcd, EtcdKv store, StoreGrpc.StoreBlockingStub plain)
      throws InterruptedException {
    ByteSequence[] jetcdKeys = new ByteSequence[KEY_COUNT];
    ByteString[] protoKeys = new ByteString[KEY_COUNT];
    for (int i = 0; i < KEY_COUNT; i++) {
      jetcdKeys[i] = ByteSequence.from(keys[i]);
      protoKeys[i] = ByteString.copyFrom(keys[i]);
    }
    ByteSequence jetcdValue = ByteSequence.from(value);
    ByteString protoValue = ByteString.copyFrom(value);
    ByteSequence jetcdRangeStart = ByteSequence.from(rangePrefix);
    GetOption jetcdRange =
        GetOption.builder().withRange(ByteSequence.from(Bytes.prefixEnd(rangePrefix))).build();
    PutOption putWithPrev = PutOption.builder().withPrevKV().build();
    RangeRequest range100 = RangeRequest.newBuilder()
        .setKey(ByteString.copyFrom(rangePrefix))
        .setRangeEnd(ByteString.copyFrom(Bytes.prefixEnd(rangePrefix)))
        .build();

    List<KeyValue> seed = new ArrayList<>();
    for (int i = 0; i < KEY_COUNT; i++) {
      seed.add(KeyValue.of(keys[i], value));
    }
    for (int i = 0; i < RANGE_SIZE; i++) {
      seed.add(KeyValue.of(Bytes.concat(rangePrefix, fixedSize(Integer.toString(i),
          KEY_BYTES - rangePrefix.length)), value));
    }
    store.batchPut(seed, false);

    System.out.printf("etcd %s, %d s per side and case (two halves, each after %d ms warm-up);"
            + " keys %d B, values %d B%n", etcd.endpoint(), measure.toSeconds(),
        Throughput.WARM_UP.toMillis(), KEY_BYTES, VALUE_BYTES);
    System.out.printf("%-10s %-6s %8s %14s %16s %8s%n",
        "operation", "codec", "threads", "jetcd ops/s", "metasrv ops/s", "ratio");
    for (int threads : new int[] {1, 64}) {
      List<Case> cases = new ArrayList<>();
      for (String codec : new String[] {"plain", "zstd"}) {
        StoreGrpc.StoreBlockingStub metasrv =
            codec.equals("zstd") ? plain.withCompression("zstd") : plain;
        cases.add(new Case("put", codec, threads,
            i -> jetcd.put(jetcdKeys[i], jetcdValue, putWithPrev).get(),
            i -> metasrv.put(PutRequest.newBuilder().setKey(protoKeys[i]).setValue(protoValue)
                .setPrevKv(true).build())));
        cases.add(new Case("range100", codec, threads,
            i -> expect(jetcd.get(jetcdRangeStart, jetcdRange).get().getKvs().size()),
            i -> expect(metasrv.range(range100).getKvsCount())));
      }
      // JIT warm-up for every path of both sides before any is measured: otherwise the first
      // cases measure our server, client and etcd client being compiled, and jetcd only its own.
      for (Case c : cases) {
        rate(c.name() + "-jetcd", c.threads(), c.jetcd(), WARM_UP);
        rate(c.name() + "-metasrv", c.threads(), c.metasrv(), WARM_UP);
      }
      for (Case c : cases) {
        // A-B-B-A halves, so that drift in etcd (compaction, fsync latency) hits both alike
        Duration half = measure.dividedBy(2);
        double jetcdRate = rate(c.name() + "-jetcd", c.threads(), c.jetcd(), half) / 2;
        double ours = rate(c.name() + "-metasrv", c.threads(), c.metasrv(), half) / 2;
        ours += rate(c.name() + "-metasrv", c.threads(), c.metasrv(), half) / 2;
        jetcdRate += rate(c.name() + "-jetcd", c.threads(), c.jetcd(), half) / 2;
        System.out.printf("%-10s %-6s %8d %14.0f %16.0f %8.2f%n",
            c.name(), c.codec(), c.threads(), jetcdRate, ours, ours / jetcdRate);
      }
    }
  }

  private static double rate(String name, int threads, Throughput.Operation operation,
      Duration measure) throws InterruptedException {
    return Throughput.measure(name, threads, KEY_COUNT, operation, measure);
  }

  private static void expect(int got) {
    if (got != RANGE_SIZE) {
      throw new IllegalStateException("range returned " + got + " keys, expected " + RANGE_SIZE);
    }
  }

  private static byte[] fixedSize(String text, int size) {
    byte[] bytes = Arrays.copyOf(Bytes.utf8(text), size);
    Arrays.fill(bytes, text.length(), size, (byte) '_');
    return bytes;
  }
}
