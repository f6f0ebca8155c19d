package io.metasrv.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SimulatedNodesTest {
  private static final ServerServiceDefinition NO_METHODS =
      ServerServiceDefinition.builder("test.Nothing").build();

  @Test
  void aRestartsPortTakenForAMomentIsBoundOnceFreed() throws Exception {
    try (SimulatedNodes nodes = new SimulatedNodes(List.of("127.0.0.1:1"),
        new FakeMonotonicClock())) {
      ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      InetSocketAddress port = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
      CompletableFuture<Server> served = CompletableFuture.supplyAsync(
          () -> nodes.serve(port, NO_METHODS));
      TimeUnit.MILLISECONDS.sleep(300);
      assertThat(served).as("still trying while the port is taken").isNotDone();
      taken.close();
      Server server = served.get(10, TimeUnit.SECONDS);
      assertThat(server.getPort()).isEqualTo(port.getPort());
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPortThatStaysTakenFailsNamingIt() throws Exception {
    try (SimulatedNodes nodes = new SimulatedNodes(List.of("127.0.0.1:1"),
        new FakeMonotonicClock());
        ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      InetSocketAddress port = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
      assertThatThrownBy(() -> nodes.serve(port, NO_METHODS))
          .isInstanceOf(UncheckedIOException.class).hasMessageContaining(port.toString());
    }
  }
}
