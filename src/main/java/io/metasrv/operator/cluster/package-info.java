/**
 * The MetasrvCluster controller: spec validation (with the {@code config} package's loader) into
 * a {@code model.ValidCluster}, the owned objects in {@code dependents}, observation of the pods,
 * and the status it reports.
 */
package io.metasrv.operator.cluster;
