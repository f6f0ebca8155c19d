package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.math.BigInteger;

/**
 * JSON of Rust's {@code u64} held in a Java {@code long} as its bit pattern. GreptimeDB's region,
 * peer and datanode ids are {@code u64}: a region id of a table id of 2^31 or more is above {@code
 * Long.MAX_VALUE}, and serde writes it as a plain unsigned number ({@code 18446744073709551615}),
 * which Jackson's signed {@code long} neither writes nor reads.
 *
 * <p>Mark a {@code long} or {@code Long} field with {@link U64}, a list of them with {@link
 * U64Elements}. Written: the unsigned decimal as a JSON number. Read: an integer from 0 to 2^64−1;
 * a negative or larger number, a fraction, a string, or null for a {@code long}, is refused with
 * serde's wording ({@code invalid value: integer `-1`, expected u64}), which {@link SerdeJson}
 * turns into an {@link InvalidMetadataException} naming the value.
 */
public final class UnsignedLongJson {
  private static final BigInteger U64_LIMIT = BigInteger.ONE.shiftLeft(64);

  private UnsignedLongJson() {}

  /** A {@code u64} field: written unsigned, read as 0 to 2^64−1. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER,
      ElementType.ANNOTATION_TYPE})
  @JacksonAnnotationsInside
  @JsonSerialize(using = Writer.class)
  @JsonDeserialize(using = Reader.class)
  public @interface U64 {}

  /** A list of {@code u64}s: each element written and read as {@link U64}. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER,
      ElementType.ANNOTATION_TYPE})
  @JacksonAnnotationsInside
  @JsonSerialize(contentUsing = Writer.class)
  @JsonDeserialize(contentUsing = Reader.class)
  public @interface U64Elements {}

  /** The number a {@code long} holding a {@code u64} stands for. */
  public static BigInteger toBigInteger(long value) {
    BigInteger signed = BigInteger.valueOf(value);
    return value >= 0 ? signed : signed.add(U64_LIMIT);
  }

  /** Writes the unsigned value as a JSON number. */
  public static final class Writer extends StdSerializer<Long> {
    public Writer() {
      super(Long.class);
    }

    @Override
    public void serialize(Long value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      if (value >= 0) {
        gen.writeNumber(value);
      } else {
        // A BigInteger, not the digits as text: a tree or token buffer keeps it an integer.
        gen.writeNumber(toBigInteger(value));
      }
    }
  }

  /**
   * Reads an integer from 0 to 2^64−1 into a {@code long}. Null is a null {@code Long}, and refused
   * for a {@code long}.
   */
  public static final class Reader extends StdDeserializer<Long>
      implements ContextualDeserializer {
    private final boolean nullable;

    public Reader() {
      this(true);
    }

    private Reader(boolean nullable) {
      super(Long.class);
      this.nullable = nullable;
    }

    @Override
    public JsonDeserializer<?> createContextual(DeserializationContext context,
        BeanProperty property) {
      boolean primitive = property != null && property.getType().isPrimitive();
      return primitive == !nullable ? this : new Reader(!primitive);
    }

    @Override
    public Long deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT) {
        return (Long) context.handleUnexpectedToken(Long.class, parser.currentToken(), parser,
            "invalid type: %s, expected u64", parser.currentToken() == JsonToken.VALUE_STRING
                ? "string \"" + parser.getText() + "\"" : parser.getText());
      }
      if (parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
        long value = parser.getLongValue();
        if (value < 0) {
          throw outOfRange(context, parser.getText());
        }
        return value;
      }
      BigInteger value = parser.getBigIntegerValue();
      if (value.signum() < 0 || value.compareTo(U64_LIMIT) >= 0) {
        throw outOfRange(context, value.toString());
      }
      return value.longValue();
    }

    @Override
    public Long getNullValue(DeserializationContext context) throws JsonMappingException {
      if (!nullable) {
        context.reportInputMismatch(this, "invalid type: null, expected u64");
      }
      return null;
    }

    private static IOException outOfRange(DeserializationContext context, String digits) {
      return context.weirdNumberException(new BigInteger(digits), Long.class,
          "invalid value: integer `" + digits + "`, expected u64");
    }
  }
}
