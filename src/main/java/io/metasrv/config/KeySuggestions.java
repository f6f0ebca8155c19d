package io.metasrv.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Finds the known key an unknown one was probably meant to be. */
final class KeySuggestions {
  private KeySuggestions() {}

  /** The closest of {@code candidates} to {@code key}, if close enough to be a typo of it. */
  static Optional<String> closest(String key, Collection<String> candidates) {
    return candidates.stream()
        .filter(candidate -> isTypo(key, candidate))
        .min(Comparator.comparingInt(candidate -> distance(key, candidate)));
  }

  /**
   * Key paths elsewhere in the schema whose last segment matches or nearly matches the last segment
   * of {@code unknownPath}: a key written in the wrong section. Only the best matches are offered
   * (closest spelling, then longest shared prefix with {@code unknownPath}), joined with "or" when
   * several tie, since the operator must choose.
   */
  static Optional<String> elsewhere(String unknownPath, Collection<String> knownPaths) {
    Optional<String> separatorMistaken = separatorMistaken(unknownPath, knownPaths);
    if (separatorMistaken.isPresent()) {
      return separatorMistaken;
    }
    String key = lastSegment(unknownPath);
    Comparator<String> rank =
        Comparator.<String>comparingInt(path -> distance(key, lastSegment(path)))
            .thenComparing(path -> -commonPrefixLength(path, unknownPath));
    List<String> candidates =
        knownPaths.stream().filter(path -> isTypo(key, lastSegment(path))).toList();
    return candidates.stream()
        .min(rank)
        .map(
            best ->
                candidates.stream()
                    .filter(path -> rank.compare(path, best) == 0)
                    .sorted(Comparator.comparingInt(String::length))
                    .limit(3)
                    .collect(Collectors.joining(" or ")));
  }

  /**
   * A known path that is the unknown one with some {@code _} meant as section separators, as in
   * {@code GREPTIMEDB_METASRV__HTTP_ADDR} (one underscore) for {@code http.addr}.
   */
  private static Optional<String> separatorMistaken(
      String unknownPath, Collection<String> knownPaths) {
    String flattened = unknownPath.replace('.', '_');
    return knownPaths.stream()
        .filter(path -> !path.equals(unknownPath) && path.replace('.', '_').equals(flattened))
        .findFirst();
  }

  private static boolean isTypo(String key, String candidate) {
    return distance(key, candidate) <= Math.max(1, key.length() / 4);
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  private static int commonPrefixLength(String a, String b) {
    int n = 0;
    while (n < a.length() && n < b.length() && a.charAt(n) == b.charAt(n)) {
      n++;
    }
    return n;
  }

  /** Edit distance counting a swap of adjacent characters as one edit (a common typo). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int substitution = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] =
            Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + substitution);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
