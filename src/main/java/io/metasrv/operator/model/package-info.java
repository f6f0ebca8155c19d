/**
 * The cluster model that the controller, its dependents and the MaintenanceMode controller share:
 * names and labels of the owned objects, the pods' ports, the store connection, the rendered
 * configuration, and {@link io.metasrv.operator.model.ValidCluster}, a spec that passed
 * validation. Depends on the {@code api} classes, and on {@code config} for the names the server
 * reads (backend kinds, the environment prefix).
 */
package io.metasrv.operator.model;
