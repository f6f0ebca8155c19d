package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryKvTest extends KvBackendContractTest {

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    return new MemoryKv(limits);
  }

  @Test
  void writesOfOneCallShareOneRevisionAndReadsTakeNone() {
    kv.put(utf8("before"), utf8("v"));
    long before = kv.get(utf8("before")).orElseThrow().modRevision();

    kv.txn(Txn.of(List.of(TxnOp.put(utf8("a"), utf8("v")), TxnOp.put(utf8("b"), utf8("v")))));
    kv.range(RangeRequest.all());
    kv.txn(Txn.of(List.of(TxnOp.get(utf8("a")))));
    kv.batchDelete(List.of(utf8("missing")), false);
    kv.put(utf8("after"), utf8("v"));

    assertThat(kv.get(utf8("a")).orElseThrow().modRevision()).isEqualTo(before + 1);
    assertThat(kv.get(utf8("b")).orElseThrow().modRevision()).isEqualTo(before + 1);
    assertThat(kv.get(utf8("after")).orElseThrow().modRevision()).isEqualTo(before + 2);
  }
}
