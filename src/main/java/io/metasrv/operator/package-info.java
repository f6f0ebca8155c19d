/**
 * The Kubernetes operator ({@code metasrv operator}): the {@code api.v1alpha1} resources, the
 * {@code cluster} controller (validate, apply the owned objects as a JOSDK workflow, observe the
 * pods), and the {@code admin} client of the pods' admin HTTP API.
 */
package io.metasrv.operator;
