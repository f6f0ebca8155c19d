package io.metasrv.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import io.metasrv.config.LogFormat;
import io.metasrv.config.LoggingOptions;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code [logging]} to logback: the level filter ({@code info} or
 * {@code info,io.metasrv.kv=debug}), hourly-rotated files in {@code dir} keeping
 * {@code max_log_files}, text or JSON lines, and whether to keep the console (stderr) output.
 */
final class LoggingSetup {
  private static final String CONSOLE_APPENDER = "STDERR";
  private static final String FILE_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{24}: %msg%n";

  private LoggingSetup() {}

  static void apply(LoggingOptions options) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    applyLevels(context, options.level().orElse("info"));
    if (!options.dir().isEmpty()) {
      root.addAppender(fileAppender(context, options));
    }
    if (!options.appendStdout()) {
      root.detachAppender(CONSOLE_APPENDER);
    }
  }

  private static void applyLevels(LoggerContext context, String filter) {
    for (String directive : filter.split(",")) {
      String trimmed = directive.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq < 0) {
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(trimmed, Level.INFO));
      } else {
        context.getLogger(trimmed.substring(0, eq).trim())
            .setLevel(Level.toLevel(trimmed.substring(eq + 1).trim(), Level.INFO));
      }
    }
  }

  private static RollingFileAppender<ILoggingEvent> fileAppender(LoggerContext context,
      LoggingOptions options) {
    Path dir = Path.of(options.dir());
    RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
    appender.setContext(context);
    appender.setName("FILE");
    appender.setFile(dir.resolve("metasrv.log").toString());
    TimeBasedRollingPolicy<ILoggingEvent> policy = new TimeBasedRollingPolicy<>();
    policy.setContext(context);
    policy.setParent(appender);
    policy.setFileNamePattern(dir.resolve("metasrv.%d{yyyy-MM-dd-HH}.log").toString());
    policy.setMaxHistory(options.maxLogFiles());
    policy.start();
    appender.setRollingPolicy(policy);
    appender.setEncoder(encoder(context, options.logFormat()));
    appender.start();
    return appender;
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, LogFormat format) {
    if (format == LogFormat.JSON) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(FILE_PATTERN);
    text.start();
    return text;
  }
}
