package io.metasrv.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka (KRaft, broker and controller in one server) inside the test JVM, on
 * free loopback ports only, with its own log directory.
 *
 * <p>{@link #shared()} is one instance per JVM, started on first use and stopped when the JVM
 * exits; tests on it use topic names of their own. Tests that stop the broker start their own with
 * {@link #start()}: {@link #stop()} keeps its ports and data, so {@link #restart()} brings back the
 * same broker at the same address. Kafka's own test kit is not used: it binds its listeners to
 * every interface whatever it is told.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final int NODE_ID = 1;

  private static KafkaBroker shared;

  private final int port = FreePorts.next();
  private final int controllerPort = FreePorts.next();
  private final Path logDir;
  private KafkaRaftServer server;

  private KafkaBroker(Path logDir) {
    this.logDir = logDir;
  }

  /** The per-JVM broker, started on first use. Do not stop it. */
  public static synchronized KafkaBroker shared() {
    if (shared == null) {
      KafkaBroker started = start();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "kafka-broker-cleanup"));
      shared = started;
    }
    return shared;
  }

  /** A fresh broker of its own; the caller closes it. */
  public static KafkaBroker start() {
    KafkaBroker broker;
    try {
      broker = new KafkaBroker(Files.createTempDirectory("metasrv-kafka-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      broker.format();
      broker.restart();
      return broker;
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
  }

  /** {@code 127.0.0.1:port}, the broker's only client listener. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Starts the broker again after {@link #stop()}, on the same ports and data. */
  public synchronized void restart() {
    if (server != null) {
      throw new IllegalStateException("the broker is running");
    }
    KafkaRaftServer started = new KafkaRaftServer(new KafkaConfig(config(), false), Time.SYSTEM);
    started.startup();
    server = started;
  }

  /** Shuts the broker down and waits for it; its ports then refuse connections. */
  public synchronized void stop() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(logDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is no reason to fail a test
    }
  }

  private void format() {
    Formatter formatter = new Formatter()
        .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
        .setClusterId(Uuid.randomUuid().toString())
        .setNodeId(NODE_ID)
        .setDirectories(List.of(logDir.toString()))
        .setMetadataLogDirectory(logDir.toString())
        .setControllerListenerName("CONTROLLER")
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION);
    try {
      formatter.run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format the Kafka log directory " + logDir, e);
    }
  }

  private Map<String, String> config() {
    Map<String, String> config = new HashMap<>();
    config.put("process.roles", "broker,controller");
    config.put("node.id", String.valueOf(NODE_ID));
    config.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    config.put("listeners",
        "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    config.put("controller.listener.names", "CONTROLLER");
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    config.put("log.dirs", logDir.toString());
    // one node: every internal topic with a single replica
    config.put("offsets.topic.replication.factor", "1");
    config.put("transaction.state.log.replication.factor", "1");
    config.put("transaction.state.log.min.isr", "1");
    config.put("share.coordinator.state.topic.replication.factor", "1");
    config.put("share.coordinator.state.topic.min.isr", "1");
    // a topic exists only when a client creates it, as the WAL topic pool must
    config.put("auto.create.topics.enable", "false");
    config.put("group.initial.rebalance.delay.ms", "0");
    // few threads: the machine is shared
    config.put("num.network.threads", "1");
    config.put("num.io.threads", "2");
    config.put("background.threads", "2");
    config.put("num.recovery.threads.per.data.dir", "1");
    return config;
  }
}
