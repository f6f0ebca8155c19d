package io.metasrv.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/** The Argo CD health check in manifests/argocd, run by a Lua interpreter as Argo CD runs it. */
class ArgoHealthCheckTest {
  private static final Path SCRIPT = Path.of("manifests/argocd/metasrvcluster-health.lua");

  @Test
  void aNewClusterWithoutStatusIsProgressing() throws Exception {
    assertThat(health(cluster(1, null))).containsEntry("status", "Progressing");
  }

  @Test
  void readyForTheCurrentGenerationIsHealthy() throws Exception {
    LuaTable obj = cluster(3, status(3, condition("Ready", "True", "3/3 ready, leader pod-0"),
        condition("Reconciling", "False", ""), condition("Stalled", "False", "")));
    assertThat(health(obj)).containsEntry("status", "Healthy")
        .containsEntry("message", "3/3 ready, leader pod-0");
  }

  @Test
  void readyForAnOlderGenerationIsStillProgressing() throws Exception {
    LuaTable obj = cluster(4, status(3, condition("Ready", "True", "3/3 ready"),
        condition("Reconciling", "True", "rolling out generation 4")));
    assertThat(health(obj)).containsEntry("status", "Progressing")
        .containsEntry("message", "rolling out generation 4");
  }

  @Test
  void stalledIsDegradedWithTheFieldNamed() throws Exception {
    LuaTable obj = cluster(2, status(2, condition("Ready", "False", "invalid spec"),
        condition("Stalled", "True", "spec.replicas: must be at least 1")));
    assertThat(health(obj)).containsEntry("status", "Degraded")
        .containsEntry("message", "spec.replicas: must be at least 1");
  }

  private static Map<String, String> health(LuaTable obj) throws Exception {
    Globals globals = JsePlatform.standardGlobals();
    globals.set("obj", obj);
    LuaValue hs = globals.load(Files.readString(SCRIPT), SCRIPT.toString()).call();
    return Map.of("status", hs.get("status").tojstring(), "message",
        hs.get("message").tojstring());
  }

  private static LuaTable cluster(long generation, LuaTable status) {
    LuaTable metadata = new LuaTable();
    metadata.set("generation", generation);
    LuaTable obj = new LuaTable();
    obj.set("metadata", metadata);
    if (status != null) {
      obj.set("status", status);
    }
    return obj;
  }

  private static LuaTable status(long observedGeneration, LuaTable... conditions) {
    LuaTable status = new LuaTable();
    status.set("observedGeneration", observedGeneration);
    status.set("conditions", LuaValue.listOf(conditions));
    return status;
  }

  private static LuaTable condition(String type, String value, String message) {
    LuaTable condition = new LuaTable();
    condition.set("type", type);
    condition.set("status", value);
    condition.set("message", message);
    return condition;
  }
}
