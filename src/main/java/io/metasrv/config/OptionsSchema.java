package io.metasrv.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The configuration schema, read from the options records themselves so that adding a component is
 * all it takes to add a key: a component {@code maxTxnOps} is the key {@code max_txn_ops}, a record
 * component is a section, and a record's static {@code defaults()} supplies the values of keys a
 * section leaves out (a record without one, such as {@code [wal.sasl]}, requires all its
 * non-optional keys).
 */
final class OptionsSchema {
  private OptionsSchema() {}

  /** The components of a record that are configuration keys, in declaration order. */
  static List<RecordComponent> keys(Class<?> recordType) {
    return Arrays.stream(recordType.getRecordComponents())
        .filter(component -> !component.isAnnotationPresent(Derived.class))
        .toList();
  }

  static String keyName(RecordComponent component) {
    return component.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  static Object valueOf(RecordComponent component, Object record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + component, e);
    }
  }

  /** The record's {@code defaults()}, or empty when every key of it is required. */
  static Optional<Object> defaultsOf(Class<?> recordType) {
    try {
      Method defaults = recordType.getMethod("defaults");
      if (Modifier.isStatic(defaults.getModifiers()) && defaults.getReturnType() == recordType) {
        return Optional.of(defaults.invoke(null));
      }
      return Optional.empty();
    } catch (NoSuchMethodException none) {
      return Optional.empty();
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot build defaults of " + recordType, e);
    }
  }

  /** Builds a record from values for all of its components, derived ones included. */
  static Object construct(Class<?> recordType, Object[] values) {
    Class<?>[] types =
        Arrays.stream(recordType.getRecordComponents())
            .map(RecordComponent::getType)
            .toArray(Class<?>[]::new);
    try {
      return recordType.getDeclaredConstructor(types).newInstance(values);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(e.getCause().getMessage(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + recordType, e);
    }
  }

  static Class<?> rawType(Type type) {
    return type instanceof ParameterizedType parameterized
        ? (Class<?>) parameterized.getRawType()
        : (Class<?>) type;
  }

  /** The single type argument of {@code Optional<T>} or {@code List<T>}; the value of a map. */
  static Type elementType(Type type) {
    Type[] arguments = ((ParameterizedType) type).getActualTypeArguments();
    return arguments[arguments.length - 1];
  }

  static boolean isSection(Type type) {
    Class<?> raw = rawType(type);
    return raw.isRecord() && raw != ReadableSize.class;
  }

  /** Every key path under {@code recordType}, sections included, for typo suggestions. */
  static List<String> allKeyPaths(Class<?> recordType) {
    List<String> paths = new ArrayList<>();
    collectKeyPaths(recordType, "", paths);
    return paths;
  }

  private static void collectKeyPaths(Class<?> recordType, String prefix, List<String> paths) {
    for (RecordComponent component : keys(recordType)) {
      String path = prefix + keyName(component);
      paths.add(path);
      Type type = component.getGenericType();
      if (rawType(type) == Optional.class || rawType(type) == List.class) {
        type = elementType(type);
      }
      if (isSection(type)) {
        collectKeyPaths(rawType(type), path + ".", paths);
      }
    }
  }
}
