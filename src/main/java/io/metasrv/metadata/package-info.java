/**
 * The metadata that metasrv itself keeps in the store, in GreptimeDB's key layout: for now
 * the cluster's maintenance flag; id sequences and table metadata come later.
 */
package io.metasrv.metadata;
