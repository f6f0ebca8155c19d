package io.metasrv.ddl;

import io.metasrv.metadata.Peer;
import java.util.List;

/**
 * Chooses the datanodes that lead a new table's regions: GreptimeDB's {@code
 * MetasrvPeerAllocator}, the selector over alive datanodes with duplicates allowed.
 */
@FunctionalInterface
public interface DatanodePeers {

  /**
   * {@code count} peers, repeating peers when fewer datanodes are alive.
   *
   * @throws io.metasrv.selector.NoEnoughAvailableNodeException when no datanode is alive
   */
  List<Peer> select(int count);
}
