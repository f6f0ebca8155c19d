/**
 * Leader election in a SQL store's meta table ({@link io.metasrv.election.rds.RdsElection}): a
 * session lock plus the leader value and candidates with expiries on the database's clock, as
 * GreptimeDB's PostgreSQL and MySQL elections keep them; each database supplies its lock and
 * statements through {@link io.metasrv.election.rds.ElectionSql}.
 */
package io.metasrv.election.rds;
