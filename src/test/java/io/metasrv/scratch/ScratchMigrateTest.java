package io.metasrv.scratch;

import io.metasrv.metadata.Peer;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.protocol.RegionRole;
import io.metasrv.testing.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ScratchMigrateTest {
  @Test
  void scratch() throws Exception {
    Path dir = Files.createTempDirectory("scratch-");
    try (EtcdProcess etcd = EtcdProcess.start()) {
      MetasrvNode node = MetasrvNode.start("n", "127.0.0.1:" + etcd.clientPort(), dir);
      try (SimulatedNodes nodes = new SimulatedNodes(List.of(node.serverAddr()), MonotonicClock.SYSTEM)) {
        Thread.sleep(8000);
        long r1 = SimulatedDatanode.regionId(1024, 1);
        MetaCalls.writeTable(node.serverAddr(), 1024, List.of(RegionRoute.led(Region.of(r1), new Peer(1, "127.0.0.1:1"))));
        SimulatedDatanode d1 = nodes.datanode(1, "127.0.0.1:1").withHeartbeatInterval(Duration.ofSeconds(1)).withRegion(r1, RegionRole.Leader);
        SimulatedDatanode d2 = nodes.datanode(2, "127.0.0.1:2").withHeartbeatInterval(Duration.ofSeconds(1));
        d1.start().get(10, TimeUnit.SECONDS); d2.start().get(10, TimeUnit.SECONDS);
        Thread.sleep(4000);
        System.out.println("route before " + MetaCalls.route(node.serverAddr(), 1024));
        System.out.println("migrate " + MetaCalls.migrate(node.serverAddr(), r1, 1, 2, 30));
        Thread.sleep(3000);
        try {
          System.out.println("route after " + MetaCalls.route(node.serverAddr(), 1024));
        } catch (Exception e) {
          System.out.println("route failed " + e);
          Process p = new ProcessBuilder("jstack", Long.toString(node.pid())).redirectErrorStream(true).start();
          System.out.println(new String(p.getInputStream().readAllBytes()));
        }
      } finally {
        node.close();
      }
    }
  }
}
