package io.metasrv.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;





/**
 * Throughput of {@link EtcdKv} against jetcd's {@link KV} client used directly, on the same
 * fresh etcd, with the same keys (32 B) and values (256 B).
 *
 * <p>Both sides run the same harness: N threads, each doing one blocking call after another
 * (jetcd: {@code future.get()}), so "64 in flight" means 64 threads on both sides and the ratio
 * shows what EtcdKv adds per call. Both ask etcd for the same work: puts return the previous
 * value (the contract's put does), ranges read 100 keys by range end. Each side has its own
 * client and gRPC channel.
 */
public final class EtcdStoreBench {
  private static final int KEY_COUNT = 1_000;
  private static final int RANGE_SIZE = 100;
  private static final int KEY_BYTES = 32;
  private static final int VALUE_BYTES = 256;

  private record Case(String name, int threads, Throughput.Operation jetcd,
      Throughput.Operation etcdKv) {}

  public static void main(String[] args) throws Exception {
    Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
    byte[][] keys = new byte[KEY_COUNT][];
    ByteSequence[] jetcdKeys = new ByteSequence[KEY_COUNT];
    for (int i = 0; i < KEY_COUNT; i++) {
      keys[i] = fixedSize(String.format("bench/kv/%08d", i), KEY_BYTES);
      jetcdKeys[i] = ByteSequence.from(keys[i]);
    }
    byte[] value = new byte[VALUE_BYTES];
    Arrays.fill(value, (byte) 'v');
    ByteSequence jetcdValue = ByteSequence.from(value);
    byte[] rangePrefix = Bytes.utf8("bench/range/");
    ByteSequence jetcdRangeStart = ByteSequence.from(rangePrefix);
    GetOption jetcdRange =
        GetOption.builder().withRange(ByteSequence.from(Bytes.prefixEnd(rangePrefix))).build();
    PutOption putWithPrev = PutOption.builder().withPrevKV().build();

    try (EtcdProcess etcd = EtcdProcess.start();
        EtcdKv etcdKv = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint()), KvLimits.DEFAULT);
        Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
      KV jetcd = client.getKVClient();
      List<KeyValue> seed = new ArrayList<>();
      for (int i = 0; i < KEY_COUNT; i++) {
        seed.add(KeyValue.of(keys[i], value));
      }
      for (int i = 0; i < RANGE_SIZE; i++) {
        seed.add(KeyValue.of(Bytes.concat(rangePrefix, fixedSize(Integer.toString(i),
            KEY_BYTES - rangePrefix.length)), value));
      }
      etcdKv.batchPut(seed, false);

      System.out.printf("etcd %s, %d s per side and case (two halves, each after %d ms warm-up);"
          + " keys %d B, values %d B%n",
          etcd.endpoint(), measure.toSeconds(), Throughput.WARM_UP.toMillis(), KEY_BYTES,
          VALUE_BYTES);
      System.out.printf("%-10s %8s %14s %14s %8s%n",
          "operation", "threads", "jetcd ops/s", "EtcdKv ops/s", "ratio");
      for (int threads : new int[] {1, 64}) {
        List<Case> cases = List.of(
            new Case("put", threads,
                i -> jetcd.put(jetcdKeys[i], jetcdValue, putWithPrev).get(),
                i -> etcdKv.put(keys[i], value)),
            new Case("get", threads,
                i -> jetcd.get(jetcdKeys[i]).get(),
                i -> etcdKv.get(keys[i])),
            new Case("range100", threads,
                i -> expect(RANGE_SIZE,
                    jetcd.get(jetcdRangeStart, jetcdRange).get().getKvs().size()),
                i -> expect(RANGE_SIZE,
                    etcdKv.range(RangeRequest.prefix(rangePrefix)).kvs().size())));
        for (Case c : cases) {
          // A-B-B-A halves, so that drift in etcd (compaction, fsync latency) hits both alike
          Duration half = measure.dividedBy(2);
          double jetcdRate = halfRate(c.name() + "-jetcd", c.threads(), c.jetcd(), half);
          double etcdKvRate = halfRate(c.name() + "-etcdkv", c.threads(), c.etcdKv(), half);
          etcdKvRate += halfRate(c.name() + "-etcdkv", c.threads(), c.etcdKv(), half);
          jetcdRate += halfRate(c.name() + "-jetcd", c.threads(), c.jetcd(), half);
          System.out.printf("%-10s %8d %14.0f %14.0f %8.2f%n",
              c.name(), c.threads(), jetcdRate, etcdKvRate, etcdKvRate / jetcdRate);
        }
      }
    }
  }

  /** Half of a full-length rate: what one of the two halves of an A-B-B-A pair adds. */
  private static double halfRate(String name, int threads, Throughput.Operation operation,
      Duration half) throws InterruptedException {
    return Throughput.measure(name, threads, KEY_COUNT, operation, half) / 2;
  }

  private static void expect(int wanted, int got) {
    if (wanted != got) {
      throw new IllegalStateException("range returned " + got + " keys, expected " + wanted);
    }
  }

  private static byte[] fixedSize(String text, int size) {
    byte[] bytes = Arrays.copyOf(Bytes.utf8(text), size);
    Arrays.fill(bytes, text.length(), size, (byte) '_');
    return bytes;
  }
}
