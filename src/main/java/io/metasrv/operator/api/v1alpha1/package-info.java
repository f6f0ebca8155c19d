/**
 * The {@code metasrv.io/v1alpha1} API: {@link io.metasrv.operator.api.v1alpha1.MetasrvCluster} and
 * {@link io.metasrv.operator.api.v1alpha1.MaintenanceMode}. The CRDs in {@code crds/} are generated
 * from these classes at build time, so the classes are the one place the schema is written.
 */
package io.metasrv.operator.api.v1alpha1;
