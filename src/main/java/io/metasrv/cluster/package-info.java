/**
 * The leader's view of the cluster: which nodes are alive, what they are and what they report. It
 * lives in the leader's in-memory store, is rebuilt from heartbeats after every election, and is
 * served through {@code Cluster.Range}/{@code BatchGet} to frontends, so its keys ({@link
 * io.metasrv.cluster.ClusterKeys}) and JSON values ({@link io.metasrv.cluster.LeaseValue}, {@link
 * io.metasrv.cluster.NodeInfo} with {@link io.metasrv.cluster.NodeStatus}, arrays of {@link
 * io.metasrv.cluster.Stat} with {@link io.metasrv.cluster.RegionStat}, {@link
 * io.metasrv.cluster.FlowStateValue}) are exactly GreptimeDB's. Frontend node ids are the
 * SipHash-1-3 of their address ({@link io.metasrv.cluster.SipHash13}). Datanode stats, rewritten
 * every few heartbeats and rarely read, are kept packed ({@link io.metasrv.cluster.PackedStats})
 * and written out as their JSON array when read. {@link
 * io.metasrv.cluster.ClusterView} holds the view and starts it afresh after each leadership
 * change; {@link io.metasrv.cluster.ClusterReports} renders it for the admin routes.
 */
package io.metasrv.cluster;
