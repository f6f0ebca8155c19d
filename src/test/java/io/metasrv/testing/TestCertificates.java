package io.metasrv.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made with the
 * {@code openssl} command line (the JDK has no API to issue certificates). PEM files; private
 * keys in PKCS#8, as Netty wants them.
 */
public record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path clientCert,
    Path clientKey) {

  /** Issues the certificates into {@code dir}; skips the test (fails under CI) without openssl. */
  public static TestCertificates issue(Path dir) {
    try {
      run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
          "-subj", "/CN=metasrv-test-ca", "-keyout", "ca.key", "-out", "ca.crt");
      issueSigned(dir, "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
      issueSigned(dir, "client", "extendedKeyUsage=clientAuth\n");
    } catch (IOException e) {
      String message = "cannot run openssl to issue test certificates: " + e.getMessage();
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        Assertions.fail(message + " [CI=true: a missing tool fails the build]");
      }
      Assumptions.abort(message);
    }
    return new TestCertificates(dir.resolve("ca.crt"), dir.resolve("server.crt"),
        dir.resolve("server.key"), dir.resolve("client.crt"), dir.resolve("client.key"));
  }

  private static void issueSigned(Path dir, String name, String extensions) throws IOException {
    Files.writeString(dir.resolve(name + ".ext"), extensions);
    run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
        "-keyout", name + ".key", "-out", name + ".csr");
    run(dir, "openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", name + ".ext", "-out", name + ".crt");
  }

  private static void run(Path dir, String... command) throws IOException {
    Path log = dir.resolve("openssl.log");
    Process process = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("openssl failed: " + List.of(command) + "\n"
            + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while running openssl", e));
    }
  }
}
