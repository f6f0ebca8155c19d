package io.metasrv.heartbeat;

import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's messages to nodes over their heartbeat streams, as GreptimeDB's {@code
 * HeartbeatMailbox}: {@link #send} pushes a message with a fresh id and completes with the
 * node's reply (a heartbeat carrying a mailbox message with that id, handed in by {@link
 * #onReply}) or fails at its deadline; {@link #broadcast} offers a one-way message (id 0) to
 * every stream of a role, skipping streams that are behind.
 *
 * <p>Ids come from the {@code heartbeat_mailbox} sequence and are never 0, which marks one-way
 * messages. A send to a node without a stream fails at once; a reply that comes after its
 * deadline, or to a message this leader never sent, is logged and dropped.
 *
 * <p>Metrics: {@code metasrv.mailbox.sends} by outcome ({@code replied}, {@code timeout}, {@code
 * no_stream}, {@code failed}: the push failed or the leader stepped down), {@code
 * metasrv.mailbox.pending} (sends waiting for a reply), and {@code metasrv.mailbox.broadcasts}
 * by role and outcome ({@code delivered}, {@code skipped}: the stream was gone or behind).
 *
 * <p>Thread-safe. Deadlines run on the given scheduler.
 */
public final class Mailbox {
  private static final Logger log = LoggerFactory.getLogger(Mailbox.class);
  /** How many streams a broadcast's log line names when it skipped some. */
  private static final int SKIPPED_STREAMS_LOGGED = 10;

  private final Pushers pushers;
  private final LongSupplier messageIds;
  private final ScheduledExecutorService deadlines;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final Counter replied;
  private final Counter timedOut;
  private final Counter noStream;
  private final Counter failed;

  /**
   * @param messageIds allocates message ids (the {@code heartbeat_mailbox} sequence)
   * @param deadlines runs each message's deadline
   */
  public Mailbox(Pushers pushers, LongSupplier messageIds, ScheduledExecutorService deadlines,
      MeterRegistry registry) {
    this.pushers = pushers;
    this.messageIds = messageIds;
    this.deadlines = deadlines;
    this.registry = registry;
    this.replied = sends("replied");
    this.timedOut = sends("timeout");
    this.noStream = sends("no_stream");
    this.failed = sends("failed");
    Gauge.builder("metasrv.mailbox.pending", pending, Map::size)
        .description("Mailbox messages sent and waiting for a reply").register(registry);
  }

  private Counter sends(String outcome) {
    return Counter.builder("metasrv.mailbox.sends")
        .description("Mailbox messages sent to one node, by outcome").tag("outcome", outcome)
        .register(registry);
  }

  private void countBroadcast(Role role, String outcome, int count) {
    if (count > 0) {
      Counter.builder("metasrv.mailbox.broadcasts")
          .description("One-way mailbox messages offered to streams, by role and outcome")
          .tags("role", role.name().toLowerCase(Locale.ROOT), "outcome", outcome)
          .register(registry).increment(count);
    }
  }

  /**
   * Sends {@code message} to the node's stream and returns its reply.
   *
   * @return the reply, or a future failed with {@link MailboxException} when the node has no
   *     stream, the push failed, no reply came within {@code timeout}, or the leader stepped down
   */
  public CompletableFuture<MailboxMessage> send(PusherKey to, MailboxMessage message,
      Duration timeout) {
    CompletableFuture<MailboxMessage> reply = new CompletableFuture<>();
    Pusher pusher = pushers.get(to).orElse(null);
    if (pusher == null) {
      noStream.increment();
      reply.completeExceptionally(new MailboxException(MailboxException.Kind.NO_STREAM,
          "no heartbeat stream from " + to
          + " (" + message.getTo() + "); cannot send '" + message.getSubject() + "'"));
      return reply;
    }
    long id = nextId();
    MailboxMessage withId = message.toBuilder().setId(id).build();
    ScheduledFuture<?> deadline = deadlines.schedule(() -> expire(id, timeout),
        timeout.toNanos(), TimeUnit.NANOSECONDS);
    pending.put(id, new Pending(reply, deadline, withId.getSubject()));
    if (deadline.isDone()) {
      expire(id, timeout); // a deadline shorter than the scheduling found nothing pending yet
    }
    if (!pusher.push(responseCarrying(withId))) {
      fail(id, new MailboxException(MailboxException.Kind.FAILED, "the heartbeat stream of " + to + " is gone; '"
          + withId.getSubject() + "' was not sent"), failed);
    }
    return reply;
  }

  /**
   * Pushes {@code message} as a one-way message (id 0) to every open stream of {@code role}.
   *
   * @return how many streams it was pushed to
   */
  public int broadcast(Role role, MailboxMessage message) {
    MailboxMessage.Builder oneWay = message.toBuilder().setId(0);
    if (message.getPayloadCase() == MailboxMessage.PayloadCase.JSON) {
      // Held as UTF-8 bytes, the payload is encoded once here rather than again for every
      // stream the response is serialized to (a cache invalidation of a burst of datanodes'
      // tables is tens of kilobytes, offered to thousands of streams).
      oneWay.setJsonBytes(message.getJsonBytes());
    }
    HeartbeatResponse response = responseCarrying(oneWay.build());
    int sent = 0;
    List<PusherKey> skipped = new ArrayList<>();
    for (Map.Entry<PusherKey, Pusher> stream : pushers.ofRole(role)) {
      if (stream.getValue().offer(response)) {
        sent++;
      } else {
        skipped.add(stream.getKey());
      }
    }
    if (!skipped.isEmpty()) {
      logSkipped(message.getSubject(), sent, skipped);
    }
    countBroadcast(role, "delivered", sent);
    countBroadcast(role, "skipped", skipped.size());
    return sent;
  }

  /**
   * One line per broadcast, not one per stream: when thousands of datanodes connect at once each
   * first heartbeat broadcasts to all of them, and a line per stream left behind was millions of
   * lines that stalled every heartbeat thread on the log appender.
   */
  private static void logSkipped(String subject, int delivered, List<PusherKey> skipped) {
    List<String> shown = skipped.stream().limit(SKIPPED_STREAMS_LOGGED)
        .map(PusherKey::toString).toList();
    log.info("broadcast '{}' delivered to {} stream(s), not to {} whose stream is gone or"
        + " behind: {}{}", subject, delivered, skipped.size(), String.join(", ", shown),
        skipped.size() > shown.size() ? ", ..." : "");
  }

  /**
   * Hands in a node's reply.
   *
   * @return whether a send was waiting for it
   */
  public boolean onReply(MailboxMessage reply) {
    Pending waiting = pending.remove(reply.getId());
    if (waiting == null) {
      log.warn("mailbox reply {} '{}' from {} arrived too late or answers nothing sent; dropped",
          Long.toUnsignedString(reply.getId()), reply.getSubject(), reply.getFrom());
      return false;
    }
    waiting.deadline.cancel(false);
    replied.increment();
    waiting.reply.complete(reply);
    return true;
  }

  /** Fails every send still waiting: this node no longer leads, so no reply will reach it. */
  public void failPending(String reason) {
    for (Long id : pending.keySet()) {
      fail(id, new MailboxException(MailboxException.Kind.FAILED, reason), failed);
    }
  }

  private long nextId() {
    long id = messageIds.getAsLong();
    return id != 0 ? id : messageIds.getAsLong();
  }

  private void expire(long id, Duration timeout) {
    Pending waiting = pending.get(id);
    if (waiting != null) {
      fail(id, new MailboxException(MailboxException.Kind.TIMEOUT, "no reply to mailbox message "
          + Long.toUnsignedString(id) + " '" + waiting.subject + "' within "
          + timeout.toMillis() + " ms"), timedOut);
    }
  }

  private void fail(long id, MailboxException cause, Counter outcome) {
    Pending waiting = pending.remove(id);
    if (waiting != null) {
      outcome.increment();
      waiting.deadline.cancel(false);
      waiting.reply.completeExceptionally(cause);
    }
  }

  private static HeartbeatResponse responseCarrying(MailboxMessage message) {
    return HeartbeatResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .setMailboxMessage(message)
        .build();
  }

  private record Pending(CompletableFuture<MailboxMessage> reply, ScheduledFuture<?> deadline,
      String subject) {}
}
