package io.metasrv.cli;

import io.metasrv.config.ConfigPrinter;
import io.metasrv.config.MetasrvOptions;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code metasrv config}: prints the effective options, or only validates them. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = {
        "Print the effective configuration (defaults < file < environment < flags) as TOML,"
            + " with secrets redacted.",
        "Exits 2 naming the key and the reason when the configuration is invalid."})
final class ConfigCommand implements Callable<Integer> {

  @Mixin OptionSources sources;

  @Option(names = "--check", description = "Only validate; print nothing but the verdict.")
  boolean check;

  @Override
  public Integer call() {
    Optional<MetasrvOptions> loaded = sources.loadOrExplain();
    if (loaded.isEmpty()) {
      return ExitCodes.BAD_CONFIG;
    }
    MetasrvOptions options = loaded.get();
    if (check) {
      System.out.println("configuration is valid (backend in force: "
          + options.backend().configName() + ")");
    } else {
      System.out.print(ConfigPrinter.toToml(options));
    }
    return ExitCodes.OK;
  }
}
