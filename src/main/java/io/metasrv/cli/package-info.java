/**
 * The command line ({@code metasrv start | config | --version}), built with picocli: turns
 * flags and environment into a config-loader call, starts or prints, and maps failures to
 * exit codes (2 for bad configuration or usage, 1 when the server cannot start).
 */
package io.metasrv.cli;
