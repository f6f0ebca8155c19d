package io.metasrv.grpc;

import static io.metasrv.grpc.MetaServicesContractTest.failure;
import static io.metasrv.grpc.MetaServicesContractTest.greptimeCode;
import static io.metasrv.grpc.MetaServicesContractTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.metasrv.election.StandaloneElection;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.StoreGrpc;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Store calls while etcd is down answer UNAVAILABLE, and work again once it is back. */
class StoreUnavailableTest {

  @Test
  void storeCallsAreUnavailableWhileEtcdIsDown() {
    try (EtcdProcess etcd = EtcdProcess.start()) {
      EtcdKv store = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint())
          .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2)), KvLimits.DEFAULT);
      try (InProcessNode node = InProcessNode.start(store, new StandaloneElection(),
          new SimpleMeterRegistry())) {
        StoreGrpc.StoreBlockingStub client = StoreGrpc.newBlockingStub(node.channel)
            .withCompression("zstd");
        client.put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build());

        etcd.stop();
        StatusRuntimeException down = failure(() -> client.withDeadlineAfter(30, TimeUnit.SECONDS)
            .range(RangeRequest.newBuilder().setKey(utf8("k")).build()));
        assertThat(down.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(greptimeCode(down)).isEqualTo("5000");

        etcd.restart();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> client
            .range(RangeRequest.newBuilder().setKey(utf8("k")).build()).getKvsCount() == 1);
      }
    }
  }
}
