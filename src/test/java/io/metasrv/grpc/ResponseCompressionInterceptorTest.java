package io.metasrv.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.metasrv.protocol.KeyValue;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.StoreGrpc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class ResponseCompressionInterceptorTest {
  private static final Metadata.Key<String> ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

  @Test
  void answersInKindButSendsSmallMessagesUncompressed() {
    RecordingCall call = new RecordingCall();
    Metadata headers = new Metadata();
    headers.put(ENCODING, "zstd");
    List<ServerCall<?, RangeResponse>> started = new ArrayList<>();
    new ResponseCompressionInterceptor().interceptCall(call, headers, (c, h) -> {
      started.add(c);
      return new ServerCall.Listener<>() {};
    });
    ServerCall<?, RangeResponse> wrapped = started.get(0);

    wrapped.sendMessage(RangeResponse.newBuilder().setHeader(ResponseHeaders.ok()).build());
    wrapped.sendMessage(RangeResponse.newBuilder().addKvs(KeyValue.newBuilder()
        .setValue(ByteString.copyFrom(new byte[ResponseCompressionInterceptor.COMPRESS_FROM_BYTES])))
        .build());

    assertThat(call.compression).isEqualTo("zstd");
    assertThat(call.messageCompression).containsExactly(false, true);
    assertThat(call.sent).isEqualTo(2);
  }

  @Test
  void leavesPlainCallsAlone() {
    RecordingCall call = new RecordingCall();
    List<ServerCall<?, RangeResponse>> started = new ArrayList<>();
    new ResponseCompressionInterceptor().interceptCall(call, new Metadata(), (c, h) -> {
      started.add(c);
      return new ServerCall.Listener<>() {};
    });
    assertThat(started.get(0)).isSameAs(call);
    assertThat(call.compression).isNull();
  }

  private static final class RecordingCall extends ServerCall<Object, RangeResponse> {
    String compression;
    final List<Boolean> messageCompression = new ArrayList<>();
    int sent;

    @Override
    public void setCompression(String compressor) {
      compression = compressor;
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      messageCompression.add(enabled);
    }

    @Override
    public void sendMessage(RangeResponse message) {
      sent++;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void close(Status status, Metadata trailers) {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @SuppressWarnings("unchecked")
    @Override
    public MethodDescriptor<Object, RangeResponse> getMethodDescriptor() {
      return (MethodDescriptor<Object, RangeResponse>) (MethodDescriptor<?, ?>)
          StoreGrpc.getRangeMethod();
    }
  }
}
