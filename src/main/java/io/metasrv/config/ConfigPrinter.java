package io.metasrv.config;

import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes options as TOML with GreptimeDB's key names, every key present, durations and sizes in
 * their human form. An unset optional key or section is written as a comment, since TOML has no
 * null. The output of {@link #toUnredactedToml} loads back to equal options.
 */
public final class ConfigPrinter {
  static final String REDACTED = "<redacted>";

  /**
   * Key names that hold credentials, whatever section they are in; a key that names a file
   * holding them ({@code password_file}) is a path, printed as it is.
   */
  private static final Pattern SECRET_KEY = Pattern.compile(
      "(?!.*_(file|path)$).*(password|passwd|secret|token|credential|authorization|api[_-]?key).*");

  /** Credentials inside values: libpq's {@code password=...} and URL user info. */
  private static final Pattern PASSWORD_SETTING =
      Pattern.compile("(?i)(password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|[^\\s&;]+)");

  private static final Pattern URL_USER_INFO = Pattern.compile("(://[^/:@\\s]*):[^@/\\s]*@");

  private final boolean redact;
  private final StringBuilder out = new StringBuilder();

  private ConfigPrinter(boolean redact) {
    this.redact = redact;
  }

  /** The options as TOML with credentials replaced by {@code "<redacted>"}, for people. */
  public static String toToml(MetasrvOptions options) {
    return new ConfigPrinter(true).print(options);
  }

  /** The options as TOML with credentials intact, for handing to another process. */
  public static String toUnredactedToml(MetasrvOptions options) {
    return new ConfigPrinter(false).print(options);
  }

  private String print(MetasrvOptions options) {
    writeSection(options, "");
    return out.toString();
  }

  /** Keys first, then sub-sections, as TOML requires. */
  private void writeSection(Object record, String prefix) {
    List<RecordComponent> keys = OptionsSchema.keys(record.getClass());
    for (RecordComponent component : keys) {
      if (!isSectionValued(component.getGenericType())) {
        writeKey(record, component);
      }
    }
    for (RecordComponent component : keys) {
      if (isSectionValued(component.getGenericType())) {
        writeSubSection(
            OptionsSchema.valueOf(component, record), prefix + OptionsSchema.keyName(component));
      }
    }
  }

  private void writeKey(Object record, RecordComponent component) {
    String key = OptionsSchema.keyName(component);
    Object value = OptionsSchema.valueOf(component, record);
    if (record instanceof MetasrvOptions options && key.equals("backend")) {
      out.append("# backend in force: ").append(backendReason(options)).append('\n');
    }
    if (value instanceof Optional<?> optional && optional.isEmpty()) {
      out.append("# ").append(key).append(": not set\n");
      return;
    }
    Object present = value instanceof Optional<?> optional ? optional.get() : value;
    out.append(key)
        .append(" = ")
        .append(isSecret(key) ? quote(REDACTED) : format(present))
        .append('\n');
  }

  private static String backendReason(MetasrvOptions options) {
    String inForce = options.backend().configName();
    return options
        .replacedBackend()
        .map(
            replaced ->
                inForce
                    + " (use_memory_store = true overrides backend = \""
                    + replaced.configName()
                    + "\")")
        .orElse(
            options.useMemoryStore()
                ? inForce + " (use_memory_store = true)"
                : inForce + " (backend = \"" + inForce + "\")");
  }

  private void writeSubSection(Object value, String path) {
    if (value instanceof Optional<?> optional) {
      if (optional.isEmpty()) {
        out.append("\n# [").append(path).append("]: not set\n");
        return;
      }
      value = optional.get();
    }
    if (value instanceof List<?> tables) {
      for (Object table : tables) {
        out.append("\n[[").append(path).append("]]\n");
        writeSection(table, path + ".");
      }
      return;
    }
    out.append('\n').append('[').append(path).append("]\n");
    writeSection(value, path + ".");
  }

  private String format(Object value) {
    if (value instanceof String text) {
      return quote(redact ? redactCredentials(text) : text);
    }
    if (value instanceof Duration duration) {
      return quote(HumanDuration.format(duration));
    }
    if (value instanceof ConfigEnum constant) {
      return quote(constant.configName());
    }
    if (value instanceof ReadableSize size) {
      return quote(size.toString());
    }
    if (value instanceof List<?> list) {
      return list.stream().map(this::format).collect(Collectors.joining(", ", "[", "]"));
    }
    if (value instanceof Map<?, ?> map) {
      return map.entrySet().stream()
          .map(
              entry ->
                  quote((String) entry.getKey())
                      + " = "
                      + (isSecret((String) entry.getKey())
                          ? quote(REDACTED)
                          : format(entry.getValue())))
          .collect(Collectors.joining(", ", "{ ", " }"))
          .replace("{  }", "{}");
    }
    return String.valueOf(value);
  }

  private boolean isSecret(String key) {
    return redact && SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  private static String redactCredentials(String text) {
    String withoutSetting = PASSWORD_SETTING.matcher(text).replaceAll("$1" + REDACTED);
    return URL_USER_INFO.matcher(withoutSetting).replaceAll("$1:" + REDACTED + "@");
  }

  private static boolean isSectionValued(Type type) {
    Class<?> raw = OptionsSchema.rawType(type);
    if (raw == Optional.class || raw == List.class) {
      return OptionsSchema.isSection(OptionsSchema.elementType(type));
    }
    return OptionsSchema.isSection(type);
  }

  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\t' -> quoted.append("\\t");
        case '\r' -> quoted.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }
}
