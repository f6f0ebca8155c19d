/**
 * What the controllers write for users to read, shared by all of them and depending on none: the
 * custom resources' status ({@link io.metasrv.operator.status.StatusWriter}), metav1.Condition
 * lists with kstatus semantics, and Kubernetes Events.
 */
package io.metasrv.operator.status;
