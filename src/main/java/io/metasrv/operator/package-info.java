/**
 * The Kubernetes operator ({@code metasrv operator}): the command and its wiring. Below it, imports
 * run one way (OperatorPackageGraphTest): the {@code cluster} controller (validate, apply the
 * owned objects of {@code cluster.dependents} as a JOSDK workflow, observe the pods) and the
 * {@code maintenance} controller use the shared leaves {@code model} (names, ports, the validated
 * cluster) and {@code status} (status, conditions, events), the {@code admin} client of the pods'
 * admin HTTP API, and the {@code api.v1alpha1} resources.
 */
package io.metasrv.operator;
