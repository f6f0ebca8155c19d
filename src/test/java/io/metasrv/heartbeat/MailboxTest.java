package io.metasrv.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MailboxTest {
  private final Pushers pushers = new Pushers();
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicLong ids = new AtomicLong();
  private final Mailbox mailbox = new Mailbox(pushers, ids::incrementAndGet, deadlines, registry);
  private final List<HeartbeatResponse> pushed = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    deadlines.shutdownNow();
  }

  @Test
  void sendsAreCountedByOutcome() {
    MailboxMessage message = MailboxMessage.newBuilder().setSubject("open region").build();
    CompletableFuture<MailboxMessage> noStream =
        mailbox.send(PusherKey.datanode(1), message, Duration.ofSeconds(10));
    assertThat(noStream).isCompletedExceptionally();

    pushers.register(PusherKey.datanode(2), pushed::add);
    CompletableFuture<MailboxMessage> answered =
        mailbox.send(PusherKey.datanode(2), message, Duration.ofSeconds(10));
    assertThat(gauge("metasrv.mailbox.pending")).isEqualTo(1);
    long id = pushed.get(0).getMailboxMessage().getId();
    assertThat(mailbox.onReply(MailboxMessage.newBuilder().setId(id).build())).isTrue();
    assertThat(answered).isCompleted();

    CompletableFuture<MailboxMessage> unanswered =
        mailbox.send(PusherKey.datanode(2), message, Duration.ofMillis(1));
    await().until(unanswered::isDone);
    assertThat(unanswered).isCompletedExceptionally();
    mailbox.send(PusherKey.datanode(2), message, Duration.ofSeconds(10));
    mailbox.failPending("stepped down");

    assertThat(sends("no_stream")).isEqualTo(1);
    assertThat(sends("replied")).isEqualTo(1);
    assertThat(sends("timeout")).isEqualTo(1);
    assertThat(sends("failed")).isEqualTo(1);
    assertThat(gauge("metasrv.mailbox.pending")).isZero();
  }

  @Test
  void broadcastsCountDeliveredAndSkippedStreamsPerRole() {
    pushers.register(PusherKey.datanode(1), pushed::add);
    pushers.register(PusherKey.datanode(2), response -> false);
    MailboxMessage message = MailboxMessage.newBuilder().setSubject("Invalidate table").build();
    assertThat(mailbox.broadcast(Role.DATANODE, message)).isEqualTo(1);
    assertThat(pushed.get(0).getMailboxMessage().getId()).isZero();
    assertThat(registry.get("metasrv.mailbox.broadcasts")
        .tags("role", "datanode", "outcome", "delivered").counter().count()).isEqualTo(1);
    assertThat(registry.get("metasrv.mailbox.broadcasts")
        .tags("role", "datanode", "outcome", "skipped").counter().count()).isEqualTo(1);
  }

  @Test
  void aBroadcastCarriesTheJsonPayloadAsSentToEveryStream() {
    pushers.register(new PusherKey(Role.FRONTEND, 1), pushed::add);
    pushers.register(new PusherKey(Role.FRONTEND, 2), pushed::add);
    MailboxMessage message = MailboxMessage.newBuilder().setId(7).setSubject("Invalidate table")
        .setFrom("Metasrv@127.0.0.1:3002").setTo("Frontend broadcast").setTimestampMillis(42)
        .setJson("{\"InvalidateCaches\":[{\"TableName\":\"t\u00e9\u6e2c\ud83d\ude00\"}]}")
        .build();

    assertThat(mailbox.broadcast(Role.FRONTEND, message)).isEqualTo(2);

    MailboxMessage expected = message.toBuilder().setId(0).build();
    assertThat(pushed).hasSize(2).allSatisfy(response -> {
      assertThat(response.getMailboxMessage().getJson()).isEqualTo(message.getJson());
      assertThat(response.getMailboxMessage().toByteString())
          .isEqualTo(expected.toByteString());
    });
  }

  private double sends(String outcome) {
    return registry.get("metasrv.mailbox.sends").tag("outcome", outcome).counter().count();
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }
}
