package io.metasrv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.metasrv.config.ConfigLoader;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.http.NodeHealth;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.FreePorts;
import io.metasrv.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS sections of the options reach the gRPC server and the etcd client. */
class MetasrvServerTlsTest {
  @TempDir Path dir;

  @Test
  void grpcTlsServesOnlyClientsWithACertificateFromTheConfiguredCa() throws Exception {
    TestCertificates certs = TestCertificates.issue(Files.createDirectories(dir.resolve("certs")));
    int rpcPort = FreePorts.next();
    Map<String, String> overrides = node(rpcPort);
    overrides.put("use_memory_store", "true");
    overrides.put("grpc.tls.mode", "verify_ca");
    overrides.put("grpc.tls.cert_path", certs.serverCert().toString());
    overrides.put("grpc.tls.key_path", certs.serverKey().toString());
    overrides.put("grpc.tls.ca_cert_path", certs.caCert().toString());
    MetasrvOptions options = ConfigLoader.load(null, Map.of(), overrides);

    try (MetasrvServer server = MetasrvServer.start(options, Clock.systemUTC())) {
      ManagedChannel mutual = channel(rpcPort, GrpcSslContexts.forClient()
          .trustManager(certs.caCert().toFile())
          .keyManager(certs.clientCert().toFile(), certs.clientKey().toFile()).build());
      ManagedChannel anonymous = channel(rpcPort, GrpcSslContexts.forClient()
          .trustManager(certs.caCert().toFile()).build());
      try {
        assertThat(askLeader(mutual)).isEqualTo("127.0.0.1:" + rpcPort);
        assertThatThrownBy(() -> askLeader(anonymous))
            .isInstanceOf(StatusRuntimeException.class);
      } finally {
        mutual.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        anonymous.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void backendTlsReachesAnEtcdThatRequiresClientCertificates() throws Exception {
    TestCertificates certs = TestCertificates.issue(Files.createDirectories(dir.resolve("certs")));
    try (EtcdProcess etcd = EtcdProcess.startWithTls(new EtcdProcess.ServerTls(
        certs.serverCert(), certs.serverKey(), certs.caCert()))) {
      Map<String, String> overrides = node(FreePorts.next());
      overrides.put("store_addrs", etcd.endpoint());
      overrides.put("backend_tls.mode", "verify_ca");
      overrides.put("backend_tls.cert_path", certs.clientCert().toString());
      overrides.put("backend_tls.key_path", certs.clientKey().toString());
      overrides.put("backend_tls.ca_cert_path", certs.caCert().toString());
      MetasrvOptions options = ConfigLoader.load(null, Map.of(), overrides);

      try (MetasrvServer server = MetasrvServer.start(options, Clock.systemUTC())) {
        await().atMost(Duration.ofSeconds(20))
            .until(() -> server.metasrv().health() == NodeHealth.LEADER);
        assertThat(server.metasrv().setMaintenance(true)).isTrue();
        assertThat(server.metasrv().maintenanceEnabled()).isTrue();
      }
    }
  }

  private Map<String, String> node(int rpcPort) {
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("bind_addr", "127.0.0.1:" + rpcPort);
    overrides.put("server_addr", "127.0.0.1:" + rpcPort);
    overrides.put("http.addr", "127.0.0.1:" + FreePorts.next());
    overrides.put("data_home", dir.resolve("home").toString());
    return overrides;
  }

  private static ManagedChannel channel(int port,
      io.grpc.netty.shaded.io.netty.handler.ssl.SslContext ssl) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl).build();
  }

  private static String askLeader(ManagedChannel channel) {
    return HeartbeatGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .askLeader(AskLeaderRequest.newBuilder()
            .setHeader(RequestHeader.getDefaultInstance()).build())
        .getLeader().getAddr();
  }
}
