/**
 * The leader election on PostgreSQL: {@link io.metasrv.election.postgres.PostgresElectionSql},
 * the advisory lock {@code meta_election_lock_id} and the statements that {@link
 * io.metasrv.election.rds.RdsElection} runs.
 */
package io.metasrv.election.postgres;
