package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.grpc.Drainable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZstdCodecTest {
  private final ZstdCodec codec = new ZstdCodec();

  @Test
  void framesItWritesRecordTheirSizeAndReadBack() throws IOException {
    byte[] message = new byte[10_000];
    new Random(1).nextBytes(message);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    try (OutputStream out = codec.compress(wire)) {
      out.write(message);
    }
    assertThat(Zstd.getFrameContentSize(wire.toByteArray())).isEqualTo(message.length);
    assertThat(codec.decompress(new ByteArrayInputStream(wire.toByteArray())).readAllBytes())
        .isEqualTo(message);
  }

  @Test
  void readsStreamedFramesWithoutASizeAsTonicWritesThem() throws IOException {
    byte[] message = "heartbeat ".repeat(1000).getBytes();
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    try (OutputStream out = new ZstdOutputStreamNoFinalizer(wire, 3)) {
      out.write(message, 0, 100);
      out.flush();
      out.write(message, 100, message.length - 100);
    }
    assertThat(Zstd.getFrameContentSize(wire.toByteArray())).isNegative();
    assertThat(codec.decompress(new ByteArrayInputStream(wire.toByteArray())).readAllBytes())
        .isEqualTo(message);
  }

  @Test
  void messagesOfOneThreadDoNotLeakIntoEachOther() throws IOException {
    byte[] large = new byte[300_000];
    new Random(2).nextBytes(large);
    byte[] small = "a small message".getBytes();
    for (byte[] message : new byte[][] {large, small, large, small}) {
      assertThat(roundTrip(message)).isEqualTo(message);
    }
  }

  @Test
  void aMessageCompressedWhileAnotherIsOpenOnTheSameThreadHasItsOwnBuffer() throws IOException {
    ByteArrayOutputStream firstWire = new ByteArrayOutputStream();
    ByteArrayOutputStream secondWire = new ByteArrayOutputStream();
    OutputStream first = codec.compress(firstWire);
    first.write("first".getBytes());
    try (OutputStream second = codec.compress(secondWire)) {
      second.write("second".getBytes());
    }
    first.write(" message".getBytes());
    first.close();
    assertThat(decode(firstWire)).isEqualTo("first message".getBytes());
    assertThat(decode(secondWire)).isEqualTo("second".getBytes());
  }

  @Test
  void aSharedMessageIsCompressedOnceForEveryStream() throws IOException {
    byte[] message = "{\"InvalidateCaches\":[{\"TableId\":1024}]}".repeat(200).getBytes();
    SharedMessage shared = new SharedMessage(new Object(), message);
    ByteArrayOutputStream firstWire = new ByteArrayOutputStream();
    ByteArrayOutputStream secondWire = new ByteArrayOutputStream();
    for (ByteArrayOutputStream wire : List.of(firstWire, secondWire)) {
      try (OutputStream out = codec.compress(wire)) {
        ((Drainable) shared.stream()).drainTo(out);
      }
    }
    assertThat(decode(firstWire)).isEqualTo(message);
    assertThat(secondWire.toByteArray()).isEqualTo(firstWire.toByteArray());
    assertThat(shared.zstdFrame(codec)).isSameAs(shared.zstdFrame(codec));
  }

  @Test
  void aSharedMessageAfterOtherBytesIsWrittenAsBytes() throws IOException {
    byte[] message = "shared".getBytes();
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    try (OutputStream out = codec.compress(wire)) {
      out.write("before ".getBytes());
      ((Drainable) new SharedMessage(new Object(), message).stream()).drainTo(out);
      out.write(" after".getBytes());
    }
    assertThat(decode(wire)).isEqualTo("before shared after".getBytes());
  }

  private byte[] roundTrip(byte[] message) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    try (OutputStream out = codec.compress(wire)) {
      out.write(message);
    }
    return decode(wire);
  }

  private byte[] decode(ByteArrayOutputStream wire) throws IOException {
    return codec.decompress(new ByteArrayInputStream(wire.toByteArray())).readAllBytes();
  }
}
