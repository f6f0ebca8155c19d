package io.metasrv.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's packages depend on each other one way only: read from the sources (imports and
 * fully qualified names alike), the graph of {@code io.metasrv.operator} packages has no cycle,
 * and the leaves that everything shares ({@code status}, {@code model}) reach no controller.
 */
class OperatorPackageGraphTest {
  private static final Path SOURCES = Path.of("src/main/java/io/metasrv/operator");
  private static final String ROOT = "io.metasrv.operator";
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern REFERENCE = Pattern.compile("\\bio\\.metasrv\\.operator(?:\\.\\w+)*");
  private static final Pattern COMMENT =
      Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

  /** Each package of the operator, with the other operator packages its sources refer to. */
  private static Map<String, Set<String>> graph;

  @BeforeAll
  static void readSources() throws IOException {
    Map<String, String> sources = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        sources.put(file.toString(), Files.readString(file));
      }
    }
    graph = new TreeMap<>();
    for (String source : sources.values()) {
      graph.computeIfAbsent(packageOf(source), p -> new TreeSet<>());
    }
    for (String source : sources.values()) {
      String from = packageOf(source);
      String code = PACKAGE.matcher(COMMENT.matcher(source).replaceAll("")).replaceAll("");
      Matcher reference = REFERENCE.matcher(code);
      while (reference.find()) {
        owningPackage(reference.group())
            .filter(to -> !to.equals(from))
            .ifPresent(to -> graph.get(from).add(to));
      }
    }
  }

  @Test
  void thePackageGraphHasNoCycle() {
    assertThat(graph).as("packages found").containsKeys(ROOT, ROOT + ".cluster", ROOT + ".status");
    assertThat(cycle()).as("a cycle among the operator's packages").isEmpty();
  }

  @Test
  void theSharedLeavesReachNoController() {
    assertThat(graph.get(ROOT + ".status")).as("status depends on").isEmpty();
    assertThat(graph.get(ROOT + ".model")).as("model depends on")
        .allMatch(p -> p.startsWith(ROOT + ".api"));
    assertThat(graph.get(ROOT + ".cluster.dependents")).as("dependents depend on")
        .doesNotContain(ROOT, ROOT + ".cluster", ROOT + ".maintenance");
    assertThat(graph.get(ROOT + ".maintenance")).as("maintenance depends on")
        .doesNotContain(ROOT, ROOT + ".cluster");
    graph.forEach((from, to) -> assertThat(to).as("%s depends on", from).doesNotContain(ROOT));
  }

  /** The longest known package that {@code name} (a package, class or member) lies in. */
  private static Optional<String> owningPackage(String name) {
    String candidate = name;
    while (candidate.startsWith(ROOT)) {
      if (graph.containsKey(candidate)) {
        return Optional.of(candidate);
      }
      int dot = candidate.lastIndexOf('.');
      if (dot < 0) {
        break;
      }
      candidate = candidate.substring(0, dot);
    }
    return Optional.empty();
  }

  private static String packageOf(String source) {
    Matcher matcher = PACKAGE.matcher(source);
    assertThat(matcher.find()).as("a package declaration").isTrue();
    return matcher.group(1);
  }

  /** A cycle as the list of packages along it, or empty: depth-first search with colours. */
  private static List<String> cycle() {
    Map<String, Integer> state = new TreeMap<>(); // 1 on the current path, 2 done
    for (String start : graph.keySet()) {
      Deque<String> path = new ArrayDeque<>();
      List<String> found = visit(start, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    return List.of();
  }

  private static List<String> visit(String node, Map<String, Integer> state, Deque<String> path) {
    Integer seen = state.get(node);
    if (seen != null && seen == 2) {
      return List.of();
    }
    if (seen != null && seen == 1) {
      List<String> onPath = new ArrayList<>(path);
      List<String> loop = new ArrayList<>(onPath.subList(onPath.indexOf(node), onPath.size()));
      loop.add(node);
      return loop;
    }
    state.put(node, 1);
    path.addLast(node);
    for (String next : graph.get(node)) {
      List<String> found = visit(next, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    path.removeLast();
    state.put(node, 2);
    return List.of();
  }
}
