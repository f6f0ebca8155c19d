package io.metasrv.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.AskLeaderResponse;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta-client half of a simulated GreptimeDB node: it finds the leader with AskLeader sent
 * to every configured metasrv (the first answer wins), opens the Heartbeat stream there with a
 * header-only handshake and waits for its answer, sends zstd, and heartbeats every interval. A
 * response whose header carries an error (NotLeader is code 2), or the end of the stream, makes
 * it ask for the leader again and reconnect; a failed attempt is retried after the reconnect
 * delay (GreptimeDB's {@code META_KEEP_ALIVE_INTERVAL_SECS}, 2 s). A request left unanswered for
 * {@value #ANSWER_TIMEOUT_SECONDS} s (the handshake included) also ends the stream: a metasrv that
 * was frozen (SIGSTOP) keeps its TCP connections open and answers nothing, and a GreptimeDB node
 * gives up on it when its HTTP/2 keepalive pings go unanswered; this stands in for that.
 *
 * <p>Mailbox messages pushed on the stream go to {@link #onInstruction}; a reply it returns is
 * sent back as a heartbeat carrying the message, as GreptimeDB's nodes do.
 */
public abstract class SimulatedNode {
  private static final Logger log = LoggerFactory.getLogger(SimulatedNode.class);
  static final ObjectMapper JSON = new ObjectMapper();
  static final long PROTOCOL_VERSION = 1;
  private static final Duration ASK_LEADER_TIMEOUT = Duration.ofSeconds(3);
  static final long ANSWER_TIMEOUT_SECONDS = 10;

  final SimulatedNodes env;
  private final Role role;
  private final long memberId;
  private final AtomicReference<Connection> current = new AtomicReference<>();
  private final CompletableFuture<String> firstConnection = new CompletableFuture<>();
  private final AtomicInteger askLeaderRounds = new AtomicInteger();
  private final AtomicInteger errorAnswers = new AtomicInteger();
  private final List<MailboxMessage> received = new CopyOnWriteArrayList<>();
  private final Set<String> hung = ConcurrentHashMap.newKeySet();
  private final List<MailboxMessage> replies = new CopyOnWriteArrayList<>();
  private final List<String> cacheInvalidations = new CopyOnWriteArrayList<>();
  private Duration interval;
  private Duration reconnectDelay = Duration.ofSeconds(2);
  private boolean automaticHeartbeats = true;
  private ScheduledFuture<?> nextBeat;
  private volatile boolean started;
  private volatile boolean stopped;

  SimulatedNode(SimulatedNodes env, Role role, long memberId, Duration interval) {
    this.env = env;
    this.role = role;
    this.memberId = memberId;
    this.interval = interval;
  }

  /** What every request of this node carries besides the header (peer, node info, epoch). */
  abstract HeartbeatRequest.Builder identity();

  /** The periodic heartbeat. */
  abstract HeartbeatRequest periodicRequest();

  /** Called with every answer to a request (pushed mailbox messages excluded). */
  abstract void onAnswer(HeartbeatResponse response);

  /** Called once the handshake was answered on a new stream. */
  void onConnected() {}

  /**
   * Handles a pushed mailbox message's instruction other than {@code InvalidateCaches}; returns
   * the reply JSON, or empty when the node does not reply (instructions it does not know).
   */
  abstract Optional<String> onInstruction(JsonNode instruction);

  /** The heartbeat interval; also sets the first region deadline (4 intervals). */
  public Duration heartbeatInterval() {
    return interval;
  }

  void setHeartbeatInterval(Duration interval) {
    requireNotStarted();
    this.interval = SimulatedNodes.positive(interval, "heartbeat interval");
  }

  void setReconnectDelay(Duration delay) {
    requireNotStarted();
    this.reconnectDelay = SimulatedNodes.positive(delay, "reconnect delay");
  }

  /** Without automatic heartbeats only {@link #heartbeatNow()} sends them (for fake clocks). */
  void setAutomaticHeartbeats(boolean automatic) {
    requireNotStarted();
    this.automaticHeartbeats = automatic;
  }

  void requireNotStarted() {
    if (started) {
      throw new IllegalStateException("already started");
    }
  }

  /**
   * Connects; the future completes with the leader's address once the handshake is answered, or
   * fails when the node cannot start ({@link #beforeConnecting}).
   */
  public CompletableFuture<String> start() {
    requireNotStarted();
    started = true;
    beforeConnecting().whenComplete((ready, failure) -> {
      if (failure != null) {
        firstConnection.completeExceptionally(failure);
      } else {
        connect();
      }
    });
    return firstConnection;
  }

  /** What the node does at start before it looks for the leader; nothing by default. */
  CompletableFuture<Void> beforeConnecting() {
    return CompletableFuture.completedFuture(null);
  }

  Duration reconnectDelay() {
    return reconnectDelay;
  }

  boolean isStopped() {
    return stopped;
  }

  /** Sends the periodic heartbeat now; completes with its answer. */
  public CompletableFuture<HeartbeatResponse> heartbeatNow() {
    Connection connection = current.get();
    if (connection == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(this + " is not connected to a metasrv"));
    }
    return connection.send(periodicRequest());
  }

  /** The metasrv this node's heartbeat stream is open to now. */
  public Optional<String> connectedTo() {
    Connection connection = current.get();
    return connection == null ? Optional.empty() : Optional.of(connection.addr);
  }

  /** How many times it asked for the leader (once per connection attempt). */
  public int askLeaderRounds() {
    return askLeaderRounds.get();
  }

  /** Answers whose header carried an error, NotLeader included. */
  public int errorAnswers() {
    return errorAnswers.get();
  }

  /** Every mailbox message pushed to this node, in arrival order. */
  /**
   * Hangs in instructions of one kind (the variant name, e.g. {@code "UpgradeRegion"}): they are
   * received but neither carried out nor answered, until {@link #answerInstructions}.
   */
  public void hangInInstructions(String kind) {
    hung.add(kind);
  }

  public void answerInstructions(String kind) {
    hung.remove(kind);
  }

  /** How many instructions of a kind this node received, answered or not. */
  public long instructionsReceived(String kind) {
    return received.stream().filter(message -> message.getJson().startsWith("{\"" + kind + "\""))
        .count();
  }

  public List<MailboxMessage> receivedMessages() {
    return List.copyOf(received);
  }

  /** Every reply this node sent, in order. */
  public List<MailboxMessage> sentReplies() {
    return List.copyOf(replies);
  }

  /** The cache identities of every {@code InvalidateCaches} broadcast received, as JSON arrays. */
  public List<String> cacheInvalidations() {
    return List.copyOf(cacheInvalidations);
  }

  /** Stops heartbeating and closes the stream; the node does not reconnect. */
  public void stop() {
    stopped = true;
    synchronized (this) {
      if (nextBeat != null) {
        nextBeat.cancel(false);
      }
    }
    Connection connection = current.getAndSet(null);
    if (connection != null) {
      connection.cancel("stopped");
    }
  }

  RequestHeader header() {
    return RequestHeader.newBuilder()
        .setProtocolVersion(PROTOCOL_VERSION)
        .setMemberId(memberId)
        .setRole(role)
        .build();
  }

  private void connect() {
    if (stopped) {
      return;
    }
    askLeaderRounds.incrementAndGet();
    askLeader().thenAccept(this::openStream).exceptionally(failure -> {
      log.debug("{} could not connect: {}", this, failure.toString());
      retryLater();
      return null;
    });
  }

  private void retryLater() {
    if (!stopped) {
      env.timer().schedule(this::connect, reconnectDelay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Every configured metasrv at once; the first that names a leader wins. */
  private CompletableFuture<String> askLeader() {
    CompletableFuture<String> leader = new CompletableFuture<>();
    List<String> addrs = env.metasrvAddrs();
    AtomicInteger failures = new AtomicInteger();
    AskLeaderRequest request = AskLeaderRequest.newBuilder().setHeader(header()).build();
    for (String addr : addrs) {
      Futures.addCallback(HeartbeatGrpc.newFutureStub(env.channel(addr))
              .withCompression("zstd")
              .withDeadlineAfter(ASK_LEADER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .askLeader(request),
          new FutureCallback<AskLeaderResponse>() {
            @Override
            public void onSuccess(AskLeaderResponse response) {
              if (response.hasLeader() && !response.getLeader().getAddr().isEmpty()) {
                leader.complete(response.getLeader().getAddr());
              } else {
                onFailure(new IllegalStateException(addr + " named no leader"));
              }
            }

            @Override
            public void onFailure(Throwable t) {
              if (failures.incrementAndGet() == addrs.size()) {
                leader.completeExceptionally(
                    new IllegalStateException("no metasrv of " + addrs + " named a leader", t));
              }
            }
          }, MoreExecutors.directExecutor());
    }
    return leader;
  }

  private void openStream(String addr) {
    Connection connection = new Connection(addr);
    HeartbeatGrpc.newStub(env.channel(addr)).withCompression("zstd").heartbeat(connection);
    connection.send(HeartbeatRequest.newBuilder().setHeader(header()).build())
        .whenComplete((handshake, failure) -> {
          if (failure != null) {
            connection.end("handshake failed: " + failure);
            return;
          }
          if (stopped) {
            connection.cancel("stopped");
            return;
          }
          current.set(connection);
          log.debug("{} connected to {}", this, addr);
          onConnected();
          firstConnection.complete(addr);
          if (automaticHeartbeats) {
            beat();
          }
        });
  }

  /** Sends the periodic heartbeat and schedules the next one an interval later. */
  private void beat() {
    synchronized (this) {
      if (nextBeat != null) {
        nextBeat.cancel(false);
      }
      if (stopped) {
        return;
      }
      nextBeat = env.timer().schedule(this::beat, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
    Connection connection = current.get();
    if (connection != null) {
      connection.send(periodicRequest());
    }
  }

  private void handlePush(Connection connection, MailboxMessage message) {
    received.add(message);
    JsonNode instruction;
    try {
      instruction = JSON.readTree(message.getJson());
    } catch (IOException e) {
      log.warn("{} got a mailbox message that is not JSON: {}", this, message.getJson());
      return;
    }
    if (instruction.has("InvalidateCaches")) {
      // A broadcast (id 0): nodes drop the caches and do not reply.
      cacheInvalidations.add(instruction.get("InvalidateCaches").toString());
      return;
    }
    String kind = instruction.fieldNames().hasNext() ? instruction.fieldNames().next() : "";
    if (hung.contains(kind)) {
      log.info("{} hangs in {} (id {})", this, kind, message.getId());
      return;
    }
    onInstruction(instruction).ifPresent(json -> {
      MailboxMessage reply = MailboxMessage.newBuilder()
          .setId(message.getId())
          .setSubject(message.getSubject())
          .setFrom(message.getTo())
          .setTo(message.getFrom())
          .setTimestampMillis(System.currentTimeMillis())
          .setJson(json)
          .build();
      replies.add(reply);
      connection.send(identity().setHeader(header()).setMailboxMessage(reply).build());
    });
  }

  /** One heartbeat stream; answers are matched to requests in order. */
  private final class Connection
      implements ClientResponseObserver<HeartbeatRequest, HeartbeatResponse> {
    final String addr;
    private final Queue<CompletableFuture<HeartbeatResponse>> waiting = new ArrayDeque<>();
    private ClientCallStreamObserver<HeartbeatRequest> requests;
    private boolean handshakeAnswered;
    private boolean ended;

    Connection(String addr) {
      this.addr = addr;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<HeartbeatRequest> requestStream) {
      this.requests = requestStream;
    }

    synchronized CompletableFuture<HeartbeatResponse> send(HeartbeatRequest request) {
      CompletableFuture<HeartbeatResponse> answer = new CompletableFuture<>();
      if (ended) {
        answer.completeExceptionally(new IllegalStateException("stream to " + addr + " ended"));
        return answer;
      }
      waiting.add(answer);
      requests.onNext(request);
      ScheduledFuture<?> watchdog = env.timer().schedule(() -> {
        if (!answer.isDone()) {
          cancel("no answer within " + ANSWER_TIMEOUT_SECONDS + " s");
        }
      }, ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      answer.whenComplete((response, failure) -> watchdog.cancel(false));
      return answer;
    }

    @Override
    public void onNext(HeartbeatResponse response) {
      if (response.hasMailboxMessage()) {
        handlePush(this, response.getMailboxMessage());
        return;
      }
      CompletableFuture<HeartbeatResponse> answer;
      boolean handshake;
      synchronized (this) {
        answer = waiting.poll();
        handshake = !handshakeAnswered;
        handshakeAnswered = true;
      }
      // GreptimeDB reads the handshake's answer raw; every later one is header-checked.
      if (!handshake && response.getHeader().hasError()
          && response.getHeader().getError().getCode() != 0) {
        errorAnswers.incrementAndGet();
        if (answer != null) {
          answer.complete(response);
        }
        cancel("answer with error " + response.getHeader().getError().getCode() + " "
            + response.getHeader().getError().getErrMsg());
        return;
      }
      if (!handshake) {
        onAnswer(response);
      }
      if (answer != null) {
        answer.complete(response);
      }
    }

    @Override
    public void onError(Throwable t) {
      end("stream failed: " + t);
    }

    @Override
    public void onCompleted() {
      end("stream ended by " + addr);
    }

    void cancel(String reason) {
      synchronized (this) {
        if (!ended) {
          requests.cancel(reason, null);
        }
      }
      end(reason);
    }

    /** Fails what still waits and, unless stopped, reconnects once for this stream. */
    void end(String reason) {
      List<CompletableFuture<HeartbeatResponse>> orphaned;
      boolean wasUp;
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        wasUp = handshakeAnswered;
        orphaned = List.copyOf(waiting);
        waiting.clear();
      }
      orphaned.forEach(answer -> answer.completeExceptionally(
          new IllegalStateException("stream to " + addr + " ended: " + reason)));
      current.compareAndSet(this, null);
      log.debug("{}: stream to {} ended: {}", SimulatedNode.this, addr, reason);
      // A stream that was up is replaced at once; a failed attempt waits the reconnect delay.
      if (wasUp) {
        connect();
      } else {
        retryLater();
      }
    }
  }
}
