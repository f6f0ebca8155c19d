package io.metasrv.ddl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hook for tests that kill the leader in each state of a DDL procedure across processes, read
 * only when the system property {@value #PROPERTY} names a directory (a node started without it
 * never looks at a file). Around each state a DDL procedure looks there for a hold file named
 * {@code <Type>.<State>.before} (the state is about to run; stored, unless the step before it
 * chose not to store it) or {@code <Type>.<State>.after} (it ran, and what it did is not yet
 * stored), {@code <Type>} being the part of the type name after {@code ::}. While the file exists
 * the procedure waits, after creating {@code <hold file>.reached} for the test to see.
 */
final class StateHolds {
  static final String PROPERTY = "metasrv.test.ddl-holds";
  private static final Logger log = LoggerFactory.getLogger(StateHolds.class);
  private static final Optional<Path> DIR =
      Optional.ofNullable(System.getProperty(PROPERTY)).map(Path::of);

  private StateHolds() {}

  static boolean enabled() {
    return DIR.isPresent();
  }

  /** Waits while the hold file of {@code typeName} in {@code state} at {@code when} exists. */
  static void await(String typeName, String state, String when) {
    if (DIR.isEmpty()) {
      return;
    }
    String type = typeName.substring(typeName.indexOf("::") + 2);
    Path hold = DIR.get().resolve(type + "." + state + "." + when);
    if (!Files.exists(hold)) {
      return;
    }
    log.warn("{} holds {} in {} ({}) while {} exists", PROPERTY, type, state, when, hold);
    try {
      Files.writeString(hold.resolveSibling(hold.getFileName() + ".reached"), "");
      while (Files.exists(hold)) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
