package io.metasrv.kv;

import java.util.Arrays;

/**
 * One condition of a {@link Txn}, evaluated against the key's current state.
 *
 * <p>{@link Target#VALUE} compares the value as unsigned bytes (a missing key never matches),
 * {@link Target#VERSION} compares the key's version (a missing key has version 0), and
 * {@link Target#EXISTS} holds when the key exists ({@code operand} = 1) or is absent (0), which
 * the factories {@link #exists} and {@link #absent} spell out.
 */
public record Compare(byte[] key, Target target, Op op, byte[] value, long operand) {

  public Compare {
    if (key == null || target == null || op == null) {
      throw new IllegalArgumentException("compare key, target and op must not be null");
    }
    if (target == Target.VALUE && value == null) {
      throw new IllegalArgumentException("a value compare needs a value to compare with");
    }
  }

  public enum Target {
    VALUE,
    VERSION,
    EXISTS
  }

  public enum Op {
    EQUAL,
    NOT_EQUAL,
    GREATER,
    LESS;

    boolean holds(int cmp) {
      return switch (this) {
        case EQUAL -> cmp == 0;
        case NOT_EQUAL -> cmp != 0;
        case GREATER -> cmp > 0;
        case LESS -> cmp < 0;
      };
    }
  }

  public static Compare value(byte[] key, Op op, byte[] value) {
    return new Compare(key, Target.VALUE, op, value, 0);
  }

  public static Compare valueEquals(byte[] key, byte[] value) {
    return value(key, Op.EQUAL, value);
  }

  public static Compare version(byte[] key, Op op, long version) {
    return new Compare(key, Target.VERSION, op, null, version);
  }

  public static Compare exists(byte[] key) {
    return new Compare(key, Target.EXISTS, Op.EQUAL, null, 1);
  }

  public static Compare absent(byte[] key) {
    return new Compare(key, Target.EXISTS, Op.EQUAL, null, 0);
  }

  /** Evaluates this compare against the key's current value, {@code null} when absent. */
  public boolean holds(KeyValue current) {
    return switch (target) {
      case VALUE -> current != null && op.holds(Arrays.compareUnsigned(current.value(), value));
      case VERSION -> op.holds(Long.compare(current == null ? 0 : current.version(), operand));
      case EXISTS -> op.holds(Long.compare(current == null ? 0 : 1, operand));
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Compare other
        && Arrays.equals(key, other.key)
        && target == other.target
        && op == other.op
        && Arrays.equals(value, other.value)
        && operand == other.operand;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key) * 31 + target.hashCode();
  }

  @Override
  public String toString() {
    return "Compare{" + Bytes.show(key) + " " + target + " " + op + " "
        + (target == Target.VALUE ? Bytes.show(value) : Long.toString(operand)) + "}";
  }
}
