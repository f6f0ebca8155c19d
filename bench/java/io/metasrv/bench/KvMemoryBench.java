package io.metasrv.bench;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.RangeResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * MemoryKv against a plain {@link ConcurrentSkipListMap} doing the same puts, gets and
 * 100-key ranges over the same keys, at 1 and 8 threads; prints MemoryKv's throughput as a
 * fraction of the plain map's (the target is at least 0.5). Run it with {@code bench/kv-memory}.
 */
@State(Scope.Benchmark)
public class KvMemoryBench {
  private static final int KEYS = 10_000;
  private static final int RANGE = 100;
  private static final int[] THREADS = {1, 8};
  private static final List<String> OPERATIONS = List.of("put", "get", "range100");

  private byte[][] keys;
  private byte[] value;
  private MemoryKv memory;
  private ConcurrentSkipListMap<byte[], byte[]> plain;

  @Setup(Level.Trial)
  public void fill() {
    keys = new byte[KEYS][];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = Bytes.utf8(String.format("__table_route/%08d", i));
    }
    value = new byte[256];
    memory = new MemoryKv(KvLimits.DEFAULT);
    plain = new ConcurrentSkipListMap<>(Bytes.ORDER);
    for (byte[] key : keys) {
      memory.put(key, value);
      plain.put(key, value);
    }
  }

  /** Each thread's own stream of key positions. */
  @State(Scope.Thread)
  public static class Cursor {
    private final SplittableRandom random = new SplittableRandom();

    int any() {
      return random.nextInt(KEYS);
    }

    int rangeStart() {
      return random.nextInt(KEYS - RANGE);
    }
  }

  @Benchmark
  public Optional<KeyValue> memoryPut(Cursor cursor) {
    return memory.put(keys[cursor.any()], value);
  }

  @Benchmark
  public byte[] plainPut(Cursor cursor) {
    return plain.put(keys[cursor.any()], value);
  }

  @Benchmark
  public Optional<KeyValue> memoryGet(Cursor cursor) {
    return memory.get(keys[cursor.any()]);
  }

  @Benchmark
  public byte[] plainGet(Cursor cursor) {
    return plain.get(keys[cursor.any()]);
  }

  @Benchmark
  public RangeResponse memoryRange100(Cursor cursor) {
    int start = cursor.rangeStart();
    return memory.range(RangeRequest.between(keys[start], keys[start + RANGE]));
  }

  @Benchmark
  public List<byte[]> plainRange100(Cursor cursor) {
    int start = cursor.rangeStart();
    List<byte[]> values = new ArrayList<>(RANGE);
    values.addAll(plain.subMap(keys[start], true, keys[start + RANGE], false).values());
    return values;
  }

  /**
   * Runs each MemoryKv benchmark right after its plain counterpart, so that both see the same
   * machine load: on a shared machine the load drifts between benchmarks minutes apart.
   */
  public static void main(String[] args) throws RunnerException {
    Map<String, Double> scores = new TreeMap<>();
    for (String op : OPERATIONS) {
      for (int threads : THREADS) {
        Options options = new OptionsBuilder()
            .include(KvMemoryBench.class.getName() + "\\.(memory|plain)" + capitalized(op) + "$")
            .mode(Mode.Throughput)
            .timeUnit(TimeUnit.SECONDS)
            .threads(threads)
            .forks(setting("BENCH_FORKS", 1))
            .warmupIterations(setting("BENCH_WARMUP_ITERATIONS", 3))
            .warmupTime(TimeValue.seconds(setting("BENCH_ITERATION_SECONDS", 1)))
            .measurementIterations(setting("BENCH_ITERATIONS", 3))
            .measurementTime(TimeValue.seconds(setting("BENCH_ITERATION_SECONDS", 1)))
            .build();
        for (RunResult result : new Runner(options).run()) {
          String method = result.getParams().getBenchmark().replaceAll(".*\\.", "");
          scores.put(method + "@" + threads, result.getPrimaryResult().getScore());
        }
      }
    }
    printRatios(scores);
  }

  private static void printRatios(Map<String, Double> scores) {
    System.out.println();
    System.out.println("MemoryKv vs plain ConcurrentSkipListMap (ops/s; ratio = MemoryKv / plain,"
        + " target >= 0.50)");
    System.out.printf("%-10s %7s %14s %14s %7s%n", "operation", "threads", "MemoryKv", "plain",
        "ratio");
    for (String op : OPERATIONS) {
      for (int threads : THREADS) {
        double memory = scores.get("memory" + capitalized(op) + "@" + threads);
        double plain = scores.get("plain" + capitalized(op) + "@" + threads);
        double ratio = memory / plain;
        System.out.printf("%-10s %7d %14.0f %14.0f %7.2f%s%n", op, threads, memory, plain, ratio,
            ratio >= 0.5 ? "" : "  below target");
      }
    }
  }

  private static String capitalized(String op) {
    return Character.toUpperCase(op.charAt(0)) + op.substring(1);
  }

  private static int setting(String name, int defaultValue) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? defaultValue : Integer.parseInt(value.trim());
  }
}
