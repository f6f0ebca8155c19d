/**
 * The metasrv's configuration: the immutable {@link io.metasrv.config.MetasrvOptions} record and
 * its section records, loaded once by {@link io.metasrv.config.ConfigLoader} from defaults, a TOML
 * file, {@code GREPTIMEDB_METASRV__SECTION__KEY} environment variables and command-line overrides
 * (each layer overriding the previous one key by key), validated with errors that name the key path
 * and the layer at fault ({@link io.metasrv.config.ConfigException}), and printed back as TOML with
 * secrets redacted by {@link io.metasrv.config.ConfigPrinter}.
 *
 * <p>Key names, defaults and value syntax follow GreptimeDB's metasrv at the seed's commit:
 * humantime durations ({@link io.metasrv.config.HumanDuration}: {@code 500ms}, {@code 24h}) and
 * binary sizes ({@link io.metasrv.config.ReadableSize}: {@code 1500KiB}). Nothing else in the
 * process reads files or the environment for configuration.
 */
package io.metasrv.config;
