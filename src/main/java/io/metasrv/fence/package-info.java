/**
 * Fenced leadership: the leader epoch in the store and the writes that check it.
 *
 * <p>A node that becomes leader stores its epoch under {@value
 * io.metasrv.fence.LeaderEpoch#KEY} (only ever raising it), and every leader-only write goes
 * through {@link io.metasrv.fence.FencedKv}, which makes the write conditional on the stored
 * epoch still being this node's. A paused or partitioned old leader that wakes up cannot write:
 * its writes fail with {@link io.metasrv.fence.FencedException} and it steps down.
 */
package io.metasrv.fence;
