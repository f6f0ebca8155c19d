package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract through the decorators the server puts around etcd (metrics over a chroot over
 * {@link EtcdKv}), synchronous and asynchronous forms alike, against a real etcd.
 */
class EtcdKvStackTest extends KvBackendContractTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private EtcdKv etcd;

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    etcd = EtcdKv.connect(EtcdKvConfig.of(EtcdProcess.shared().endpoint()), limits);
    etcd.deleteRange(RangeRequest.all(), false);
    etcd.put(utf8("outside"), utf8("v"));
    return new MeteredKv(ChrootKv.wrap(utf8("tenant/"), etcd), registry);
  }

  @Test
  void asyncCallsGoThroughEveryDecorator() {
    done(kv.putAsync(utf8("k"), utf8("v")));
    assertThat(done(kv.rangeAsync(RangeRequest.all())).kvs()).containsExactly(kv("k", "v"));
    assertThat(etcd.get(utf8("tenant/k"))).contains(kv("tenant/k", "v"));
    assertThat(done(kv.deleteRangeAsync(RangeRequest.all(), false)).deleted()).isEqualTo(1);
    assertThat(etcd.get(utf8("outside"))).isPresent();

    for (String op : List.of("put", "range", "delete_range")) {
      assertThat(registry.get(MeteredKv.METER).tags("op", op, "backend", "etcd",
          "outcome", "success").timer().count()).as(op).isEqualTo(1);
    }
  }
}
