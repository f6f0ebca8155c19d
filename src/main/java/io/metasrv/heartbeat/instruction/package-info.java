/**
 * What metasrv and nodes say to each other through the heartbeat mailbox, in GreptimeDB's JSON:
 * {@link io.metasrv.heartbeat.instruction.Instruction} (externally tagged: open, close, upgrade,
 * downgrade regions, invalidate caches with {@link io.metasrv.heartbeat.instruction.CacheIdent}),
 * {@link io.metasrv.heartbeat.instruction.InstructionReply} (tagged by {@code "type"}), the two
 * duration forms (humantime strings, {@link io.metasrv.heartbeat.instruction.Humantime}, and
 * serde's {@code {"secs","nanos"}}), and the envelope conventions of {@link
 * io.metasrv.heartbeat.instruction.MailboxMessages}. Pure data: sending and waiting for replies
 * belong to the mailbox in {@code io.metasrv.heartbeat}.
 */
package io.metasrv.heartbeat.instruction;
