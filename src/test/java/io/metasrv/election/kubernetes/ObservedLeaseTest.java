package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.time.ZonedDateTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Expiry is judged from when this node saw the Lease change, on a clock the test moves. */
class ObservedLeaseTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final ZonedDateTime NOW = ZonedDateTime.parse("2026-01-02T03:04:05.123456Z");

  private long clock = 1_000 * SECOND;

  private static Lease lease(String version, String holder, ZonedDateTime renewTime) {
    return new LeaseBuilder()
        .withNewMetadata().withName("metasrv-election").withResourceVersion(version).endMetadata()
        .withNewSpec()
          .withHolderIdentity(holder)
          .withLeaseDurationSeconds(15)
          .withLeaseTransitions(4)
          .withRenewTime(renewTime)
        .endSpec()
        .build();
  }

  private ObservedLease firstSight(Lease lease) {
    return ObservedLease.none(clock, 15).next(lease, clock);
  }

  @Test
  void heldLeaseExpiresALeaseDurationAfterItWasLastSeenToChange() {
    ObservedLease seen = firstSight(lease("1", "10.0.0.1:3002", NOW));

    clock += 14 * SECOND;
    seen = seen.next(lease("1", "10.0.0.1:3002", NOW), clock);
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock)).isFalse();
    assertThat(seen.liveHolder(clock)).contains("10.0.0.1:3002");

    clock += SECOND;
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock)).isTrue();
    assertThat(seen.liveHolder(clock)).isEmpty();
  }

  @Test
  void aNewVersionRestartsTheWait() {
    ObservedLease seen = firstSight(lease("1", "10.0.0.1:3002", NOW));
    clock += 10 * SECOND;
    seen = seen.next(lease("2", "10.0.0.1:3002", NOW.plusSeconds(10)), clock);

    clock += 14 * SECOND;
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock)).isFalse();
    clock += SECOND;
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock)).isTrue();
  }

  @Test
  void renewTimeWrittenByAnotherClockIsNeverComparedWithOurs() {
    // minutes in the past (holder's clock behind) must not look expired ...
    ObservedLease behind = firstSight(lease("1", "10.0.0.1:3002", NOW.minusMinutes(5)));
    assertThat(behind.mayBeTakenBy("10.0.0.2:3002", null, clock)).isFalse();
    // ... nor minutes in the future (holder's clock ahead) keep it valid once it stops changing
    ObservedLease ahead = firstSight(lease("1", "10.0.0.1:3002", NOW.plusMinutes(5)));
    assertThat(ahead.mayBeTakenBy("10.0.0.2:3002", null, clock + 15 * SECOND)).isTrue();
  }

  @Test
  void releasedLeaseMayBeTakenAtOnce() {
    ObservedLease seen = firstSight(lease("1", null, NOW));
    assertThat(seen.holder()).isEmpty();
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock)).isTrue();
    assertThat(firstSight(lease("1", "", NOW)).mayBeTakenBy("10.0.0.2:3002", null, clock)).isTrue();
  }

  @Test
  void aLeaseStillNamingThisNodeIsTakenBackAtOnceOnlyWhenThisProcessWroteItLast() {
    ObservedLease seen = firstSight(lease("7", "10.0.0.1:3002", NOW));
    assertThat(seen.mayBeTakenBy("10.0.0.1:3002", "7", clock)).isTrue();
    // written by an earlier process at this address, or rewritten since: wait for expiry
    assertThat(seen.mayBeTakenBy("10.0.0.1:3002", null, clock)).isFalse();
    assertThat(seen.mayBeTakenBy("10.0.0.1:3002", "6", clock)).isFalse();
    assertThat(seen.mayBeTakenBy("10.0.0.1:3002", null, clock + 15 * SECOND)).isTrue();
    assertThat(seen.transitions()).isEqualTo(4);
  }

  @Test
  void leaseWithoutDurationUsesOurs() {
    Lease noDuration = lease("1", "10.0.0.1:3002", NOW);
    noDuration.getSpec().setLeaseDurationSeconds(null);
    ObservedLease seen = ObservedLease.none(clock, 3).next(noDuration, clock);
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock + 3 * SECOND - 1)).isFalse();
    assertThat(seen.mayBeTakenBy("10.0.0.2:3002", null, clock + 3 * SECOND)).isTrue();
  }
}
