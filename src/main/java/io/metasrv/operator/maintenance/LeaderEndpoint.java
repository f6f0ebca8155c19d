package io.metasrv.operator.maintenance;

import java.net.URI;

/** The pod that leads a cluster and where its admin API answers. */
record LeaderEndpoint(String pod, URI admin) {}
