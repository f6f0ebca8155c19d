package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReadableSizeTest {

  @ParameterizedTest
  @CsvSource({
    "1500KiB, 1536000",
    "1.5MiB, 1572864",
    "64MB, 67108864",
    "64M, 67108864",
    "1KB, 1024",
    "1K, 1024",
    "512B, 512",
    "4096, 4096",
    "'  2 GiB ', 2147483648",
    "1TiB, 1099511627776",
    "1PB, 1125899906842624",
    "1.9B, 1",
    "0, 0"
  })
  void parsesBinaryUnitsWhateverTheSpelling(String text, long bytes) {
    assertThat(ReadableSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "MiB", "10 mb", "10kib", "10XB", "-1KiB", "abc", "1e30PiB"})
  void rejectsMalformedSizes(String text) {
    assertThatThrownBy(() -> ReadableSize.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({
    "1536000, 1500KiB",
    "67108864, 64MiB",
    "0, 0KiB",
    "1023, 1023B",
    "1125899906842624, 1PiB",
    "3221225472, 3GiB"
  })
  void printsLargestExactBinaryUnit(long bytes, String text) {
    assertThat(ReadableSize.ofBytes(bytes)).hasToString(text);
    assertThat(ReadableSize.parse(text).bytes()).isEqualTo(bytes);
  }
}
