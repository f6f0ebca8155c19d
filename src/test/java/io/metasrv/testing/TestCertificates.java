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
 * {@code openssl} command line (the JDK has no API to issue certificates). PEM files; the server
 * and client keys in the {@link KeyFormat} asked for (PKCS#8 unless told otherwise). Netty reads
 * PKCS#8 itself and PKCS#1 / SEC1 through BouncyCastle, which is on the runtime classpath for that.
 */
public record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path clientCert,
    Path clientKey) {

  /** How the server and client private keys are written (the CA's stays PKCS#8). */
  public enum KeyFormat {
    /** RSA in PKCS#8: {@code BEGIN PRIVATE KEY}. */
    PKCS8_RSA("RSA", "PRIVATE KEY"),
    /** RSA in PKCS#1, "traditional": {@code BEGIN RSA PRIVATE KEY} (cert-manager's PKCS1). */
    PKCS1_RSA("RSA", "RSA PRIVATE KEY"),
    /** EC on prime256v1 in SEC1: {@code BEGIN EC PRIVATE KEY}. */
    SEC1_EC("EC", "EC PRIVATE KEY");

    private final String algorithm;
    private final String pemLabel;

    KeyFormat(String algorithm, String pemLabel) {
      this.algorithm = algorithm;
      this.pemLabel = pemLabel;
    }
  }

  /** Issues the certificates into {@code dir}; skips the test (fails under CI) without openssl. */
  public static TestCertificates issue(Path dir) {
    return issue(dir, KeyFormat.PKCS8_RSA);
  }

  /**
   * Issues the certificates into {@code dir} with the server and client keys in {@code keys};
   * skips the test (fails under CI) without openssl.
   */
  public static TestCertificates issue(Path dir, KeyFormat keys) {
    try {
      run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
          "-subj", "/CN=metasrv-test-ca", "-keyout", "ca.key", "-out", "ca.crt");
      issueSigned(dir, "server", keys,
          "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
      issueSigned(dir, "client", keys, "extendedKeyUsage=clientAuth\n");
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

  private static void issueSigned(Path dir, String name, KeyFormat keys, String extensions)
      throws IOException {
    Files.writeString(dir.resolve(name + ".ext"), extensions);
    String key = name + ".key";
    String pkcs8 = keys == KeyFormat.PKCS8_RSA ? key : name + ".pkcs8.key";
    if (keys.algorithm.equals("EC")) {
      run(dir, "openssl", "genpkey", "-algorithm", "EC",
          "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", pkcs8);
    } else {
      run(dir, "openssl", "genpkey", "-algorithm", "RSA",
          "-pkeyopt", "rsa_keygen_bits:2048", "-out", pkcs8);
    }
    if (keys != KeyFormat.PKCS8_RSA) {
      // genpkey writes PKCS#8; -traditional rewrites it as PKCS#1 (RSA) or SEC1 (EC)
      run(dir, "openssl", "pkey", "-in", pkcs8, "-traditional", "-out", key);
    }
    String pem = Files.readString(dir.resolve(key));
    if (!pem.startsWith("-----BEGIN " + keys.pemLabel + "-----")) {
      throw new IllegalStateException("openssl wrote " + key + " as "
          + pem.lines().findFirst().orElse("nothing") + ", not " + keys.pemLabel);
    }
    run(dir, "openssl", "req", "-new", "-key", key, "-subj", "/CN=" + name,
        "-out", name + ".csr");
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
