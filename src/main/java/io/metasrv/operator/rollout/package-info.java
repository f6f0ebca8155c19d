/**
 * Rollouts in the operator's order. The StatefulSet's {@code OnDelete} update strategy leaves the
 * order of pod replacements to the operator: followers one at a time, each once the previous
 * replacement is Ready, and the leader last, so that a new configuration moves leadership once.
 * Depends on {@code model} only.
 */
package io.metasrv.operator.rollout;
