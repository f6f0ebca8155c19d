package io.metasrv.cli;

/** The process exit codes, as scripts and Kubernetes see them. */
final class ExitCodes {
  static final int OK = 0;
  /** The server could not start or failed while running. */
  static final int FAILED = 1;
  /** Invalid configuration or command line (picocli's own usage errors are 2 too). */
  static final int BAD_CONFIG = 2;

  private ExitCodes() {}
}
