package io.metasrv.procedure;
public sealed interface Status {
  record Executing(boolean persist) implements Status {}
  record Done(java.util.Optional<String> output) implements Status {}
  static Status executing(boolean persist) { return new Executing(persist); }
  static Status done() { return new Done(java.util.Optional.empty()); }
  static Status done(String output) { return new Done(java.util.Optional.of(output)); }
}
