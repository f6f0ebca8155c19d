package io.metasrv.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.metasrv.heartbeat.ParsedHeartbeat;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads heartbeat requests as {@link ParsedHeartbeat}s, from the whole body at once: its region
 * stats straight from the bytes, and from an array rather than through protobuf's stream decoder,
 * which a compressed body ({@link DecodedOnRead}) would otherwise get. A body that cannot be
 * read or parsed fails as grpc-java's own marshaller fails it (INTERNAL, the parse failure as
 * cause), which {@link FailureStatus} answers as a malformed request.
 */
final class ParsedHeartbeatMarshaller implements MethodDescriptor.Marshaller<ParsedHeartbeat> {
  @Override
  public InputStream stream(ParsedHeartbeat value) {
    throw new UnsupportedOperationException("heartbeat requests are only received");
  }

  @Override
  public ParsedHeartbeat parse(InputStream body) {
    try {
      return ParsedHeartbeat.parse(Bodies.readWhole(body));
    } catch (InvalidProtocolBufferException e) {
      throw malformed(e);
    } catch (IOException e) {
      throw malformed(new InvalidProtocolBufferException(e));
    }
  }

  private static RuntimeException malformed(InvalidProtocolBufferException cause) {
    return Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(cause)
        .asRuntimeException();
  }
}
