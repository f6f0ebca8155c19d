package io.metasrv.config;

/** An enumerated option value; {@link #configName()} is how it is spelled in configuration. */
public interface ConfigEnum {
  String configName();
}
