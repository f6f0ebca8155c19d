/**
 * Id sequences kept in the store as GreptimeDB keeps them ({@code __meta_seq-{name}}, the next
 * unreserved id as 8-byte little-endian): table ids, flow ids and mailbox message ids. Each
 * process reserves ranges of ids by compare-and-put and hands them out from memory, so ids are
 * unique across processes and leaders, with gaps where a reserved range was left unused.
 */
package io.metasrv.metadata.sequence;
