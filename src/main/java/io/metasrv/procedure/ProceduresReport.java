package io.metasrv.procedure;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.metadata.SerdeJson;
import java.util.List;

/**
 * The procedures a leader runs or finished lately, as {@code GET /admin/procedures} lists them:
 * {@code [{"id","type_name","state","error","start_time_ms","end_time_ms","lock_keys":[...]}]},
 * {@code error} null unless the state carries one, lock keys in GreptimeDB's Debug form.
 */
public final class ProceduresReport {
  private ProceduresReport() {}

  public static String json(List<ProcedureInfo> procedures) {
    ArrayNode list = SerdeJson.MAPPER.createArrayNode();
    for (ProcedureInfo info : procedures) {
      ObjectNode entry = list.addObject();
      entry.put("id", info.id().toString());
      entry.put("type_name", info.typeName());
      entry.put("state", info.state().kind().name());
      entry.put("error", info.state().error().orElse(null));
      entry.put("start_time_ms", info.startTimeMs());
      entry.put("end_time_ms", info.endTimeMs());
      ArrayNode keys = entry.putArray("lock_keys");
      info.lockKeys().forEach(keys::add);
    }
    return list.toString();
  }
}
