package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.procedure.Procedure;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.procedure.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every DDL procedure does around its states: keeps the failure that ended it (the {@link
 * DdlManager} answers the client with its status code), and holds the regions it is creating or
 * dropping in the region keeper until it is done or fails. Tests that kill the leader in each
 * state hold a state open through {@link StateHolds}.
 */
abstract class DdlProcedure implements Procedure {
  final DdlContext ddl;
  private final String typeName;
  private final List<MemoryRegionKeeper.Guard> guards = new ArrayList<>();
  private volatile Throwable failure;

  DdlProcedure(DdlContext ddl, String typeName) {
    this.ddl = ddl;
    this.typeName = typeName;
  }

  @Override
  public final String typeName() {
    return typeName;
  }

  /** The start of every DDL procedure's stored data: its state, by name. */
  static ObjectNode dumpOf(Enum<?> state) {
    ObjectNode root = SerdeJson.MAPPER.createObjectNode();
    root.put("state", state.name());
    return root;
  }

  /** A task as the stored data keeps it: its protobuf bytes in base64 without padding. */
  static String encodeTask(MessageLite task) {
    return Base64.getEncoder().withoutPadding().encodeToString(task.toByteArray());
  }

  /**
   * Reads a task {@link #encodeTask} wrote.
   *
   * @throws InvalidMetadataException starting with {@code what} when it is not one
   */
  static <T> T decodeTask(JsonNode encoded, Parser<T> parser, String what) {
    try {
      return parser.parseFrom(Base64.getDecoder().decode(encoded.asText()));
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      throw new InvalidMetadataException(what + ": " + e.getMessage());
    }
  }

  /** Runs the current state; see {@link Procedure#execute}. */
  abstract Status step(ProcedureContext context) throws Exception;

  @Override
  public final Status execute(ProcedureContext context) throws Exception {
    try {
      String state = StateHolds.enabled() ? SerdeJson.readTree(dump().getBytes(
          StandardCharsets.UTF_8), "DDL procedure data").path("state").asText() : "";
      StateHolds.await(typeName, state, "before");
      Status status = step(context);
      StateHolds.await(typeName, state, "after");
      if (status instanceof Status.Done) {
        releaseRegions();
      }
      return status;
    } catch (RetryLaterException e) {
      throw e;
    } catch (Exception e) {
      failure = e;
      if (!rollbackSupported()) {
        releaseRegions();
      }
      throw e;
    }
  }

  @Override
  public void rollback(ProcedureContext context) throws Exception {
    undo();
    releaseRegions();
  }

  /** Undoes what the procedure did; only called when {@link #rollbackSupported()}. */
  void undo() throws Exception {
    throw new UnsupportedOperationException("rollback not supported");
  }

  /** The failure that ended the procedure, if it failed here. */
  Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * Registers the regions (region ids by leader datanode) in the region keeper, unless this
   * procedure holds them already.
   *
   * @throws DdlException when another procedure holds one of them (GreptimeDB's {@code
   *     RegionOperatingRace})
   */
  final void holdRegions(Map<Long, List<Long>> regionIdsByDatanode) {
    if (!guards.isEmpty()) {
      return;
    }
    for (Map.Entry<Long, List<Long>> entry : regionIdsByDatanode.entrySet()) {
      for (long regionId : entry.getValue()) {
        MemoryRegionKeeper.Guard guard = ddl.regionKeeper().register(entry.getKey(), regionId);
        if (guard == null) {
          releaseRegions();
          throw new DdlException(DdlException.UNEXPECTED, "Another procedure is operating the "
              + "region " + Long.toUnsignedString(regionId) + " on peer " + entry.getKey());
        }
        guards.add(guard);
      }
    }
  }

  final void releaseRegions() {
    guards.forEach(MemoryRegionKeeper.Guard::close);
    guards.clear();
  }
}
