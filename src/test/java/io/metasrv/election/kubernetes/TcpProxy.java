package io.metasrv.election.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy that a test can cut, as if the API server behind it were gone: cutting
 * closes every connection and stops listening, so connections are refused until it heals on
 * the same port.
 */
public final class TcpProxy implements AutoCloseable {
  private static final AtomicInteger COUNT = new AtomicInteger();

  private final int targetPort;
  private final int port;
  private final ExecutorService threads;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listening;

  public TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    int id = COUNT.incrementAndGet();
    AtomicInteger threadCount = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "tcp-proxy-" + id + "-" + threadCount.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    this.listening = listen(0);
    this.port = listening.getLocalPort();
    acceptOn(listening);
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public synchronized void cut() throws IOException {
    if (listening != null) {
      listening.close();
      listening = null;
    }
    for (Socket socket : open) {
      socket.close();
    }
    open.clear();
  }

  public synchronized void heal() throws IOException {
    if (listening == null) {
      listening = listen(port);
      acceptOn(listening);
    }
  }

  @Override
  public void close() throws IOException {
    cut();
    threads.shutdownNow();
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return socket;
  }

  private void acceptOn(ServerSocket server) {
    threads.execute(() -> {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          if (!register(server, client)) {
            return;
          }
          Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
          if (!register(server, upstream)) {
            closeQuietly(client);
            return;
          }
          threads.execute(() -> pump(client, upstream));
          threads.execute(() -> pump(upstream, client));
        } catch (IOException e) {
          return; // cut or closed
        }
      }
    });
  }

  /**
   * Keeps {@code socket} open unless a cut came since {@code server} accepted it: a connection
   * accepted just before a cut must not outlive it.
   */
  private synchronized boolean register(ServerSocket server, Socket socket) {
    if (listening != server) {
      closeQuietly(socket);
      return false;
    }
    open.add(socket);
    return true;
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        out.flush();
      }
    } catch (IOException e) {
      // the other side closed, or the proxy was cut
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private void closeQuietly(Socket socket) {
    open.remove(socket);
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }
}
