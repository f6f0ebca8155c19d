package io.metasrv.server;

import java.net.InetSocketAddress;

/** Turns an option's {@code host:port} (or {@code [v6]:port}) into a socket address. */
final class HostPort {
  private HostPort() {}

  static InetSocketAddress parse(String keyPath, String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException(keyPath + " = \"" + value + "\" is not host:port");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = Integer.parseInt(value.substring(colon + 1));
    return new InetSocketAddress(host, port);
  }
}
