package io.metasrv.cli;

import io.metasrv.operator.OperatorCommand;
import io.metasrv.server.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code metasrv}: the one entry point of the jar. */
@Command(
    name = "metasrv",
    mixinStandardHelpOptions = true,
    versionProvider = MetasrvCommand.Version.class,
    description = "Metadata server for GreptimeDB-style clusters.",
    subcommands = {
      StartCommand.class,
      ConfigCommand.class,
      OperatorCommand.class,
      CommandLine.HelpCommand.class
    })
public final class MetasrvCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new MetasrvCommand())
        .setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code --version}: version and git commit, baked in at build time. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      BuildInfo build = BuildInfo.current();
      return new String[] {"metasrv " + build.version() + " (commit " + build.gitCommit() + ")"};
    }
  }
}
