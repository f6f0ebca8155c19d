/**
 * The leader election on MySQL: {@link io.metasrv.election.mysql.MysqlElectionSql}, the named
 * lock ({@code GET_LOCK}) and the statements that {@link io.metasrv.election.rds.RdsElection}
 * runs.
 */
package io.metasrv.election.mysql;
