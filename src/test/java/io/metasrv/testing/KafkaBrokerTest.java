package io.metasrv.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {

  @Test
  void restartedBrokerServesItsTopicsAgainAtTheSameAddress() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start()) {
      try (Admin admin = admin(broker)) {
        admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
      }
      String address = broker.bootstrapServers();

      broker.stop();
      assertThatThrownBy(() -> connect(address)).hasMessageContaining("Connection refused");
      broker.restart();

      assertThat(broker.bootstrapServers()).isEqualTo(address);
      try (Admin admin = admin(broker)) {
        assertThat(admin.listTopics().names().get()).contains("kept");
      }
    }
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
    int port = Integer.parseInt(broker.bootstrapServers().substring("127.0.0.1:".length()));
    java.net.InetAddress external = java.net.NetworkInterface.networkInterfaces()
        .flatMap(java.net.NetworkInterface::inetAddresses)
        .filter(address -> !address.isLoopbackAddress() && address.getAddress().length == 4)
        .findFirst().orElse(null);
    if (external != null) {
      assertThatThrownBy(() -> connect(external.getHostAddress() + ":" + port))
          .hasMessageContaining("Connection refused");
    }
  }

  private static Admin admin(KafkaBroker broker) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()));
  }

  private static void connect(String hostPort) throws Exception {
    int colon = hostPort.lastIndexOf(':');
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1))), 1000);
    }
  }
}
