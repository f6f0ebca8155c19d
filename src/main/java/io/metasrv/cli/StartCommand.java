package io.metasrv.cli;

import io.metasrv.config.MetasrvOptions;
import io.metasrv.server.MetasrvServer;
import io.metasrv.server.ServerAddressDetector;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** {@code metasrv start}: runs a node until SIGTERM or SIGINT, then stops it cleanly. */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = "Start a metasrv node. Flags mirror `greptime metasrv start`.")
final class StartCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(StartCommand.class);

  @Mixin OptionSources sources;

  @Override
  public Integer call() {
    Optional<MetasrvOptions> loaded = sources.loadOrExplain();
    if (loaded.isEmpty()) {
      return ExitCodes.BAD_CONFIG;
    }
    MetasrvOptions options = loaded.get();
    LoggingSetup.apply(options.logging());
    if (options.serverAddr().isEmpty()) {
      options = options.withServerAddr(ServerAddressDetector.detect(options.bindAddr()));
      log.info("server_addr not set; advertising detected address {}", options.serverAddr());
    }

    CountDownLatch stopRequested = new CountDownLatch(1);
    // Our own handlers, not a shutdown hook: the JVM would exit 143/130 after a hook, and a
    // clean stop on request is a success (exit 0).
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        log.info("received SIG{}, shutting down", signal.getName());
        stopRequested.countDown();
      });
    }

    MetasrvServer server;
    try {
      server = MetasrvServer.start(options, Clock.systemUTC());
    } catch (MetasrvServer.StartupException e) {
      log.error("metasrv failed to start: {}", e.getMessage());
      return ExitCodes.FAILED;
    } catch (RuntimeException e) {
      log.error("metasrv failed to start", e);
      return ExitCodes.FAILED;
    }
    try {
      stopRequested.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.close();
    return ExitCodes.OK;
  }
}
