package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
}
