package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract through a chroot whose backing store also holds keys around the prefix, and the
 * chroot's own promise: those keys are never seen, counted or deleted.
 */
class ChrootKvTest extends KvBackendContractTest {
  private static final byte[] PREFIX = utf8("tenant/");
  /** Keys just outside the prefix on both sides, and the bare prefix itself. */
  private static final List<String> OUTSIDE = List.of("a", "tenant", "tenant.", "tenant/", "tenant0");

  private MemoryKv store;

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    store = new MemoryKv(limits);
    OUTSIDE.forEach(key -> store.put(utf8(key), utf8("outside")));
    store.put(new byte[] {(byte) 0xff}, utf8("outside"));
    return ChrootKv.wrap(PREFIX, store);
  }

  @Test
  void keysGetThePrefixInTheBackingStore() {
    kv.put(utf8("k"), utf8("v"));
    assertThat(store.get(utf8("tenant/k"))).contains(kv("tenant/k", "v"));
    assertThat(kv.get(utf8("k"))).contains(kv("k", "v"));
  }

  @Test
  void keysOutsideThePrefixAreNeverReadCountedOrDeleted() {
    putAll("x", "y");
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("x", "y");
    assertThat(kv.range(RangeRequest.all().withLimit(2)).more()).isFalse();
    assertThat(keys(kv.range(new RangeRequest(utf8("y"), Bytes.ZERO, 0, false))))
        .containsExactly("y");

    DeleteRangeResponse deleted = kv.deleteRange(RangeRequest.all(), true);
    assertThat(deleted.deleted()).isEqualTo(2);
    assertThat(deleted.prevKvs()).containsExactly(kv("x", "x"), kv("y", "y"));

    assertThat(store.range(RangeRequest.all()).kvs())
        .extracting(kv -> Bytes.show(kv.key()))
        .containsExactly("\"a\"", "\"tenant\"", "\"tenant.\"", "\"tenant/\"", "\"tenant0\"", "0xff");
  }

  @Test
  void chrootsNestAndStayInsideEachOther() {
    KvBackend nested = ChrootKv.wrap(utf8("inner/"), kv);
    nested.put(utf8("k"), utf8("v"));
    kv.put(utf8("sibling"), utf8("v"));

    assertThat(store.get(utf8("tenant/inner/k"))).contains(kv("tenant/inner/k", "v"));
    assertThat(keys(nested.range(RangeRequest.all()))).containsExactly("k");
    assertThat(nested.deleteRange(RangeRequest.all(), false).deleted()).isEqualTo(1);
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("sibling");
  }

  @Test
  void anEmptyPrefixNeedsNoChroot() {
    assertThat(ChrootKv.wrap(Bytes.EMPTY, store)).isSameAs(store);
  }

  @Test
  void refusalsNameTheCallersKey() {
    byte[] tooLarge = new byte[(int) LIMITS.maxValueSize() + 1];
    assertThatThrownBy(() -> kv.put(utf8("big"), tooLarge))
        .isInstanceOfSatisfying(
            ValueTooLargeException.class, e -> assertThat(e.key()).isEqualTo(utf8("big")));
  }
}
