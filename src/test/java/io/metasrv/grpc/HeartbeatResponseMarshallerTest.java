package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Drainable;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.ResponseHeaders;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

class HeartbeatResponseMarshallerTest {
  private final HeartbeatResponseMarshaller marshaller = new HeartbeatResponseMarshaller();
  private final ZstdCodec codec = new ZstdCodec();

  @Test
  void anAnswerIsWrittenAsTheGeneratedSerializerWritesIt() throws IOException {
    HeartbeatResponse answer = answer();
    assertThat(drained(marshaller.stream(answer), false)).isEqualTo(answer.toByteArray());
    assertThat(drained(marshaller.stream(answer), true)).isEqualTo(answer.toByteArray());
    assertThat(marshaller.stream(answer).readAllBytes()).isEqualTo(answer.toByteArray());
    assertThat(marshaller.stream(answer).available()).isEqualTo(answer.getSerializedSize());
    assertThat(marshaller.parse(marshaller.stream(answer))).isEqualTo(answer);
  }

  @Test
  void aPushIsWrittenTheSameToEveryStream() throws IOException {
    HeartbeatResponse push = push("[{\"TableId\":1024}]");
    HeartbeatResponse next = push("[{\"TableId\":1025}]");
    for (HeartbeatResponse response : new HeartbeatResponse[] {push, push, next, push}) {
      assertThat(drained(marshaller.stream(response), true)).isEqualTo(response.toByteArray());
      assertThat(drained(marshaller.stream(response), false)).isEqualTo(response.toByteArray());
    }
  }

  private byte[] drained(InputStream stream, boolean compressed) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    if (!compressed) {
      ((Drainable) stream).drainTo(wire);
      return wire.toByteArray();
    }
    try (OutputStream out = codec.compress(wire)) {
      ((Drainable) stream).drainTo(out);
    }
    return codec.decompress(new ByteArrayInputStream(wire.toByteArray()))
        .readAllBytes();
  }

  private static HeartbeatResponse answer() {
    RegionLease.Builder lease = RegionLease.newBuilder().setLeaseSeconds(10);
    for (long region = 1; region <= 100; region++) {
      lease.addRegions(GrantedRegion.newBuilder().setRegionId(4398046511104L + region));
    }
    return HeartbeatResponse.newBuilder().setHeader(ResponseHeaders.ok()).setRegionLease(lease)
        .build();
  }

  private static HeartbeatResponse push(String caches) {
    return HeartbeatResponse.newBuilder().setHeader(ResponseHeaders.ok())
        .setMailboxMessage(MailboxMessage.newBuilder().setSubject("Invalidate table")
            .setJsonBytes(ByteString.copyFromUtf8("{\"InvalidateCaches\":" + caches + "}")))
        .build();
  }
}
