package io.metasrv.bench;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The mock API server's CRUD dispatcher, counting each request the operator makes as a read, a
 * watch or a write, by method and resource. Requests carrying {@link #UNCOUNTED_HEADER} are the
 * benchmark's own (creating clusters, polling for completion) and are not counted.
 */
final class OperatorRequestCounter extends KubernetesCrudDispatcher {
  static final String UNCOUNTED_HEADER = "X-Bench-Uncounted";

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if (request.getHeader(UNCOUNTED_HEADER) == null) {
      counts.computeIfAbsent(kind(request) + " " + request.getMethod() + " " + resource(request.getPath()),
          k -> new LongAdder()).increment();
    }
    return super.dispatch(request);
  }

  /** Counts since the last call, by "kind method resource", kind being read, watch or write. */
  Counts takeCounts() {
    Map<String, Long> taken = new TreeMap<>();
    counts.forEach((key, adder) -> {
      long n = adder.sumThenReset();
      if (n > 0) {
        taken.put(key, n);
      }
    });
    return new Counts(taken);
  }

  private static String kind(RecordedRequest request) {
    if (!request.getMethod().equals("GET")) {
      return "write";
    }
    return request.getPath().contains("watch=true") ? "watch" : "read";
  }

  /** "statefulsets", "metasrvclusters/status": the resource and subresource of a request path. */
  private static String resource(String path) {
    String[] segments = path.split("\\?")[0].split("/");
    for (int i = 0; i < segments.length; i++) {
      if (segments[i].equals("namespaces") && i + 2 < segments.length) {
        return segments[i + 2] + (i + 4 < segments.length ? "/" + segments[i + 4] : "");
      }
    }
    return segments[segments.length - 1];
  }

  record Counts(Map<String, Long> byKey) {
    long of(String kind) {
      return byKey.entrySet().stream()
          .filter(e -> e.getKey().startsWith(kind + " "))
          .mapToLong(Map.Entry::getValue)
          .sum();
    }

    long total() {
      return byKey.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
