/** The operator's side of a metasrv pod's admin HTTP API: health, leader, maintenance. */
package io.metasrv.operator.admin;
