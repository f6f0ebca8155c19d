/**
 * The MaintenanceMode controller: keeps maintenance on at a cluster's leader while at least one
 * MaintenanceMode refers to the cluster, re-applies it when the leader changes or the flag drifts,
 * and turns it off when the last one is deleted.
 */
package io.metasrv.operator.maintenance;
