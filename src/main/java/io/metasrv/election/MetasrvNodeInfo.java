package io.metasrv.election;

/**
 * What a metasrv node tells its peers about itself when it registers as a candidate.
 *
 * @param addr the node's advertised {@code server_addr}
 * @param version the build version
 * @param gitCommit the short git commit of the build
 * @param startTimeMs when the node started, in epoch milliseconds
 */
public record MetasrvNodeInfo(String addr, String version, String gitCommit, long startTimeMs) {}
