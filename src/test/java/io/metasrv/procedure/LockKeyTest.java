package io.metasrv.procedure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Lock key strings, their Debug form and order (GreptimeDB's lock_key.rs, procedure.rs). */
class LockKeyTest {

  @Test
  void keyStringsAreGreptimeDbs() {
    assertThat(LockKey.catalogRead("greptime").key()).isEqualTo("__catalog_lock/greptime");
    assertThat(LockKey.schemaWrite("greptime", "public").key())
        .isEqualTo("__schema_lock/greptime.public");
    assertThat(LockKey.tableRead(1024).key()).isEqualTo("__table_lock/1024");
    assertThat(LockKey.tableNameWrite("greptime", "public", "t").key())
        .isEqualTo("__table_name_lock/greptime.public.t");
    assertThat(LockKey.regionWrite((1024L << 32) | 1).key())
        .isEqualTo("__region_lock/4398046511105");
    assertThat(LockKey.regionRead(-1L).key())
        .as("a region id is a u64").isEqualTo("__region_lock/18446744073709551615");
    assertThat(LockKey.flowWrite(7).key()).isEqualTo("__flow_lock/7");
    assertThat(LockKey.flowNameWrite("greptime", "f").key())
        .isEqualTo("__flow_name_lock/greptime.f");
    assertThat(LockKey.tableNameWrite("a", "b", "c").exclusive()).isTrue();
    assertThat(LockKey.flowRead(7).exclusive()).isFalse();
  }

  @Test
  void toStringIsRustDebugForm() {
    assertThat(LockKey.catalogRead("greptime")).hasToString("Share(\"__catalog_lock/greptime\")");
    assertThat(LockKey.tableNameWrite("greptime", "public", "t"))
        .hasToString("Exclusive(\"__table_name_lock/greptime.public.t\")");
    assertThat(LockKey.catalogRead("a\"b\\c\nd\u0001é"))
        .hasToString("Share(\"__catalog_lock/a\\\"b\\\\c\\nd\\u{1}é\")");
  }

  @Test
  void sharedKeysComeFirstEachGroupInByteOrderWithoutDuplicates() {
    LockKeys keys = LockKeys.of(
        LockKey.regionWrite(4398046511105L),
        LockKey.tableWrite(1024),
        LockKey.schemaRead("greptime", "public"),
        LockKey.catalogRead("greptime"),
        LockKey.catalogRead("greptime"),
        LockKey.catalogRead("\uE000"),
        LockKey.catalogRead("\uD83D\uDE00"));

    assertThat(keys.debugStrings()).containsExactly(
        "Share(\"__catalog_lock/greptime\")",
        // UTF-8 byte order: U+E000 (EE 80 80) before U+1F600 (F0 9F 98 80), unlike UTF-16
        "Share(\"__catalog_lock/\uE000\")",
        "Share(\"__catalog_lock/\uD83D\uDE00\")",
        "Share(\"__schema_lock/greptime.public\")",
        "Exclusive(\"__region_lock/4398046511105\")",
        "Exclusive(\"__table_lock/1024\")");
    assertThat(new LockKeys(List.of(LockKey.tableWrite(1), LockKey.tableRead(1))).keys())
        .containsExactly(LockKey.tableRead(1), LockKey.tableWrite(1));
  }

  @Test
  void readersShareAWriterWaitsAndLaterReadersQueueBehindIt() {
    LockTable table = new LockTable();
    LockTable.Request reader1 = table.request(LockKeys.of(LockKey.tableRead(1)));
    LockTable.Request reader2 = table.request(LockKeys.of(LockKey.tableRead(1)));
    LockTable.Request writer = table.request(LockKeys.of(LockKey.tableWrite(1)));
    LockTable.Request reader3 = table.request(LockKeys.of(LockKey.tableRead(1)));
    LockTable.Request other = table.request(LockKeys.of(LockKey.tableWrite(2)));

    assertThat(List.of(reader1, reader2, writer, reader3, other))
        .extracting(r -> r.granted().isDone()).containsExactly(true, true, false, false, true);

    table.release(reader1);
    assertThat(writer.granted()).isNotDone();
    table.release(reader2);
    assertThat(writer.granted()).isDone();
    assertThat(reader3.granted()).isNotDone();
    table.release(writer);
    assertThat(reader3.granted()).isDone();
    table.release(reader3);
    table.release(other);
    assertThat(table.lockedKeys()).isZero();
  }

  @Test
  void aRequestIsGrantedWholeSoCrossedRequestsCannotDeadlock() {
    LockTable table = new LockTable();
    LockTable.Request holder = table.request(LockKeys.of(LockKey.tableWrite(1)));
    LockTable.Request both = table.request(LockKeys.of(LockKey.tableWrite(1),
        LockKey.tableWrite(2)));
    LockTable.Request second = table.request(LockKeys.of(LockKey.tableWrite(2),
        LockKey.tableWrite(1)));

    assertThat(both.granted()).as("table 2 is free, but table 1 is not").isNotDone();
    assertThat(second.granted()).isNotDone();
    table.release(holder);
    assertThat(both.granted()).isDone();
    assertThat(second.granted()).isNotDone();
    table.release(both);
    assertThat(second.granted()).isDone();
  }

  @Test
  void aKeyAskedForReadingAndWritingIsLockedOnceForWriting() {
    LockTable table = new LockTable();
    LockTable.Request self = table.request(LockKeys.of(LockKey.tableRead(1),
        LockKey.tableWrite(1)));
    CompletableFuture<Void> reader = table.request(LockKeys.of(LockKey.tableRead(1))).granted();

    assertThat(self.granted()).isDone();
    assertThat(reader).isNotDone();
  }
}
