package io.metasrv.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Our generated descriptors against facts written by hand from greptime-proto 103948cb
 * ({@code src/test/resources/wire/greptime-proto-103948cb.txt}): every message, enum and service
 * we declare, with every field's name, number, type, label, oneof and map-ness, every enum
 * value and every rpc. Stubs generated from our own files cannot catch a wrong field number;
 * this can.
 */
class WireDescriptorFactsTest {
  private static final String FACTS = "/wire/greptime-proto-103948cb.txt";
  private static final Path PROTO_ROOT = Path.of("src/main/proto");

  private static final List<FileDescriptor> OUR_FILES =
      List.of(
          CommonProto.getDescriptor(),
          HeartbeatProto.getDescriptor(),
          ClusterProto.getDescriptor(),
          StoreProto.getDescriptor(),
          RegionProto.getDescriptor(),
          ProcedureProto.getDescriptor(),
          RouteProto.getDescriptor(),
          DdlProto.getDescriptor(),
          io.metasrv.protocol.v1.CommonProto.getDescriptor(),
          io.metasrv.protocol.v1.DdlProto.getDescriptor(),
          io.metasrv.protocol.v1.RowProto.getDescriptor(),
          io.metasrv.protocol.region.RegionServerProto.getDescriptor());

  @Test
  void everyProtoFileWeCompileIsChecked() throws IOException {
    Set<String> sources;
    try (Stream<Path> files = Files.walk(PROTO_ROOT)) {
      sources =
          files
              .filter(path -> path.toString().endsWith(".proto"))
              .map(path -> PROTO_ROOT.relativize(path).toString().replace('\\', '/'))
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertThat(OUR_FILES.stream().map(FileDescriptor::getName))
        .containsExactlyInAnyOrderElementsOf(sources);
  }

  @Test
  void everyDeclarationMatchesGreptimeProto() throws IOException {
    assertThat(differences(declarations(OUR_FILES), upstreamFacts())).isEmpty();
  }

  @Test
  void aWrongFieldNumberOrAnExtraFieldIsReported() throws DescriptorValidationException {
    FileDescriptorProto.Builder heartbeat = HeartbeatProto.getDescriptor().toProto().toBuilder();
    var regionStat =
        heartbeat.getMessageTypeBuilderList().stream()
            .filter(message -> message.getName().equals("RegionStat"))
            .findFirst()
            .orElseThrow();
    regionStat.getFieldBuilderList().stream()
        .filter(field -> field.getName().equals("engine"))
        .findFirst()
        .orElseThrow()
        .setNumber(5);
    regionStat.addField(
        FieldDescriptorProto.newBuilder()
            .setName("memtable_size")
            .setNumber(8)
            .setType(FieldDescriptorProto.Type.TYPE_UINT64)
            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL));
    FileDescriptor altered =
        FileDescriptor.buildFrom(
            heartbeat.build(), new FileDescriptor[] {CommonProto.getDescriptor()});
    List<FileDescriptor> files = new ArrayList<>(OUR_FILES);
    files.set(files.indexOf(HeartbeatProto.getDescriptor()), altered);

    assertThat(differences(declarations(files), upstreamFacts()))
        .containsExactly(
            "message greptime.v1.meta.RegionStat: we declare [string engine = 5, uint64"
                + " memtable_size = 8] that greptime-proto does not; greptime-proto declares"
                + " [string engine = 6] that we do not");
  }

  private static List<String> differences(
      Map<String, List<String>> ours, Map<String, List<String>> upstream) {
    List<String> differences = new ArrayList<>();
    for (var declaration : ours.entrySet()) {
      List<String> expected = upstream.get(declaration.getKey());
      if (expected == null) {
        differences.add(declaration.getKey() + ": not in greptime-proto 103948cb");
        continue;
      }
      List<String> extra = new ArrayList<>(declaration.getValue());
      extra.removeAll(expected);
      List<String> missing = new ArrayList<>(expected);
      missing.removeAll(declaration.getValue());
      if (!extra.isEmpty() || !missing.isEmpty()) {
        differences.add(
            declaration.getKey()
                + ": we declare "
                + extra
                + " that greptime-proto does not; greptime-proto declares "
                + missing
                + " that we do not");
      }
    }
    upstream.keySet().stream()
        .filter(declaration -> !ours.containsKey(declaration))
        .forEach(declaration -> differences.add(declaration + ": not declared by us"));
    return differences;
  }

  /** Each declaration's header line, as the facts file writes it, to its member lines. */
  private static Map<String, List<String>> declarations(List<FileDescriptor> files) {
    Map<String, List<String>> declarations = new LinkedHashMap<>();
    for (FileDescriptor file : files) {
      file.getMessageTypes().forEach(message -> addMessage(message, declarations));
      file.getEnumTypes().forEach(enumType -> addEnum(enumType, declarations));
      for (ServiceDescriptor service : file.getServices()) {
        declarations.put(
            "service " + service.getFullName(),
            service.getMethods().stream().map(WireDescriptorFactsTest::rpc).toList());
      }
    }
    return declarations;
  }

  private static void addMessage(Descriptor message, Map<String, List<String>> declarations) {
    declarations.put(
        "message " + message.getFullName(),
        message.getFields().stream()
            .sorted(Comparator.comparingInt(FieldDescriptor::getNumber))
            .map(WireDescriptorFactsTest::field)
            .toList());
    message.getNestedTypes().stream()
        .filter(nested -> !nested.getOptions().getMapEntry())
        .forEach(nested -> addMessage(nested, declarations));
    message.getEnumTypes().forEach(enumType -> addEnum(enumType, declarations));
  }

  private static void addEnum(EnumDescriptor enumType, Map<String, List<String>> declarations) {
    declarations.put(
        "enum " + enumType.getFullName(),
        enumType.getValues().stream()
            .sorted(Comparator.comparingInt(EnumValueDescriptor::getNumber))
            .map(value -> value.getName() + " = " + value.getNumber())
            .toList());
  }

  private static String field(FieldDescriptor field) {
    String declared;
    if (field.isMapField()) {
      Descriptor entry = field.getMessageType();
      declared =
          "map<"
              + typeName(entry.findFieldByName("key"))
              + ", "
              + typeName(entry.findFieldByName("value"))
              + ">";
    } else {
      declared = (field.isRepeated() ? "repeated " : "") + typeName(field);
    }
    OneofDescriptor oneof = field.getRealContainingOneof();
    String prefix = oneof != null ? "oneof " + oneof.getName() + ": " : "";
    if (field.toProto().getProto3Optional()) {
      prefix = "optional ";
    }
    return prefix + declared + " " + field.getName() + " = " + field.getNumber();
  }

  private static String typeName(FieldDescriptor field) {
    return switch (field.getType()) {
      case MESSAGE, GROUP -> field.getMessageType().getFullName();
      case ENUM -> field.getEnumType().getFullName();
      default -> field.getType().name().toLowerCase();
    };
  }

  private static String rpc(MethodDescriptor method) {
    return "rpc "
        + method.getName()
        + "("
        + (method.isClientStreaming() ? "stream " : "")
        + method.getInputType().getFullName()
        + ") returns ("
        + (method.isServerStreaming() ? "stream " : "")
        + method.getOutputType().getFullName()
        + ")";
  }

  /** The facts file: each declaration line to its member lines. */
  private static Map<String, List<String>> upstreamFacts() {
    List<String> lines;
    try (InputStream in = WireDescriptorFactsTest.class.getResourceAsStream(FACTS)) {
      assertThat(in).as(FACTS).isNotNull();
      lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + FACTS, e);
    }
    Map<String, List<String>> facts = new LinkedHashMap<>();
    List<String> members = null;
    String declaration = null;
    for (String line : lines) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (!line.startsWith(" ")) {
        declaration = line.strip();
        members = new ArrayList<>();
        assertThat(facts.put(declaration, members)).as("declared twice: " + declaration).isNull();
      } else {
        assertThat(members).as("member before any declaration: " + line).isNotNull();
        members.add(line.strip());
      }
    }
    return facts;
  }
}
