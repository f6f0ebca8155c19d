/**
 * The MetasrvCluster controller: spec validation (with the {@code config} package's loader),
 * the owned objects in {@code dependents}, observation of the pods, and the status conditions.
 */
package io.metasrv.operator.cluster;
