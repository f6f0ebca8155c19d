package io.metasrv.server;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;

/**
 * Finds the address to advertise when {@code server_addr} is empty, as the seed does: the first
 * non-loopback IPv4 address of an interface that is up, with the port of {@code bind_addr}.
 */
public final class ServerAddressDetector {
  private ServerAddressDetector() {}

  public static String detect(String bindAddr) {
    int port = HostPort.parse("bind_addr", bindAddr).getPort();
    return hostAddress() + ":" + port;
  }

  private static String hostAddress() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
            return address.getHostAddress();
          }
        }
      }
      return InetAddress.getLocalHost().getHostAddress();
    } catch (SocketException | UnknownHostException e) {
      throw new MetasrvServer.StartupException(
          "server_addr is empty and no local address could be detected; set server_addr", e);
    }
  }
}
