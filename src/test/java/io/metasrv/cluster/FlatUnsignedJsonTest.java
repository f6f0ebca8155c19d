package io.metasrv.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlatUnsignedJsonTest {
  private static final byte[][] NAMES = {
      "a".getBytes(StandardCharsets.US_ASCII), "bb".getBytes(StandardCharsets.US_ASCII)};

  @Test
  void readsTheNamedFieldsOfAFlatObjectLastValueWinning() {
    long[] values = new long[2];
    boolean[] present = new boolean[2];

    boolean read = FlatUnsignedJson.read(
        ByteString.copyFromUtf8(" {\"x\":5, \"a\" :\t1,\"bb\":0,\"a\":999999999999999999}\r\n"),
        NAMES, values, present);

    assertThat(read).isTrue();
    assertThat(values).containsExactly(999_999_999_999_999_999L, 0);
    assertThat(present).containsExactly(true, true);
  }

  @Test
  void anEmptyObjectIsRead() {
    boolean[] present = new boolean[2];

    assertThat(FlatUnsignedJson.read(ByteString.copyFromUtf8("{ }"), NAMES, new long[2],
        present)).isTrue();
    assertThat(present).containsExactly(false, false);
  }

  /** Valid JSON or not, these are left to a full parser. */
  @ParameterizedTest
  @ValueSource(strings = {"", " ", "[]", "{", "{\"a\":1", "{\"a\":1,}", "{\"a\":1}x",
      "{\"a\":-1}", "{\"a\":1.5}", "{\"a\":1e2}", "{\"a\":01}", "{\"a\":\"1\"}",
      "{\"a\":null}", "{\"a\":{}}", "{\"a\":1000000000000000000}", "{\"\\u0061\":1}",
      "{\"\u00e9\":1}", "{\"a\"1}", "{\"a\":1 \"bb\":2}", "\u000b{\"a\":1}"})
  void anythingElseIsNotRead(String json) {
    assertThat(FlatUnsignedJson.read(ByteString.copyFromUtf8(json), NAMES, new long[2],
        new boolean[2])).as(json).isFalse();
  }
}
