package io.metasrv.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;

/**
 * JOSDK's reconciliations as Micrometer meters (JOSDK's own Micrometer support is a separate
 * artifact that is not used here): {@code metasrv_operator_reconcile_seconds} counts and times
 * every reconcile and cleanup by controller, operation and outcome;
 * {@code metasrv_operator_reconcile_failures_total} counts the ones that threw, by kind.
 */
public final class ReconcileMetrics implements Metrics {
  static final String RECONCILE = "metasrv.operator.reconcile";
  static final String FAILURES = "metasrv.operator.reconcile.failures";

  private final MeterRegistry registry;

  public ReconcileMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    Timer.Sample sample = Timer.start(registry);
    String outcome = "exception";
    try {
      T result = execution.execute();
      outcome = execution.successTypeName(result);
      return result;
    } finally {
      sample.stop(
          Timer.builder(RECONCILE)
              .description("Reconcile and cleanup executions")
              .tag("controller", execution.controllerName())
              .tag("operation", execution.name())
              .tag("outcome", outcome)
              .register(registry));
    }
  }

  @Override
  public void failedReconciliation(
      HasMetadata resource, Exception exception, Map<String, Object> metadata) {
    Counter.builder(FAILURES)
        .description("Reconciliations that threw, to be retried by JOSDK")
        .tag("kind", resource.getKind())
        .register(registry)
        .increment();
  }
}
