package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class BodiesTest {
  private final byte[] body = "a heartbeat request body".getBytes();

  @Test
  void readsABodyThatKnowsItsSize() throws IOException {
    assertThat(Bodies.readWhole(new ByteArrayInputStream(body))).isEqualTo(body);
  }

  @Test
  void readsABodyThatSaysNothingOrTooLittle() throws IOException {
    assertThat(Bodies.readWhole(saying(0))).isEqualTo(body);
    assertThat(Bodies.readWhole(saying(5))).isEqualTo(body);
  }

  @Test
  void readsABodyThatSaysTooMuch() throws IOException {
    assertThat(Bodies.readWhole(saying(body.length + 100))).isEqualTo(body);
  }

  @Test
  void readsAnEmptyBody() throws IOException {
    assertThat(Bodies.readWhole(new ByteArrayInputStream(new byte[0]))).isEmpty();
  }

  /** The body, its available() answering {@code size} until it is read to the end. */
  private InputStream saying(int size) {
    return new ByteArrayInputStream(body) {
      @Override
      public synchronized int available() {
        return pos == count ? 0 : size;
      }
    };
  }
}
