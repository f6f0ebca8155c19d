package io.metasrv.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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

    boolean read = read(" {\"x\":5, \"a\" :\t1,\"bb\":0,\"a\":999999999999999999}\r\n",
        values, present);

    assertThat(read).isTrue();
    assertThat(values).containsExactly(999_999_999_999_999_999L, 0);
    assertThat(present).containsExactly(true, true);
  }

  @Test
  void anEmptyObjectIsRead() {
    boolean[] present = new boolean[2];

    assertThat(read("{ }", new long[2], present)).isTrue();
    assertThat(present).containsExactly(false, false);
  }

  /** Valid JSON or not, these are left to a full parser. */
  @ParameterizedTest
  @ValueSource(strings = {"", " ", "[]", "{", "{\"a\":1", "{\"a\":1,}", "{\"a\":1}x",
      "{\"a\":-1}", "{\"a\":1.5}", "{\"a\":1e2}", "{\"a\":01}", "{\"a\":\"1\"}",
      "{\"a\":null}", "{\"a\":{}}", "{\"a\":1000000000000000000}", "{\"\\u0061\":1}",
      "{\"\u00e9\":1}", "{\"a\"1}", "{\"a\":1 \"bb\":2}", "\u000b{\"a\":1}"})
  void anythingElseIsNotRead(String json) {
    assertThat(read(json, new long[2], new boolean[2])).as(json).isFalse();
  }

  /** Reads {@code json} from the middle of a larger array, as a field of a message. */
  private static boolean read(String json, long[] values, boolean[] present) {
    byte[] text = json.getBytes(StandardCharsets.UTF_8);
    byte[] message = new byte[text.length + 4];
    Arrays.fill(message, (byte) '}');
    System.arraycopy(text, 0, message, 2, text.length);
    return FlatUnsignedJson.read(message, 2, 2 + text.length, NAMES, values, present);
  }
}
