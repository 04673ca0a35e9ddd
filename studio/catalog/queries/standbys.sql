-- The physical standbys streaming from this server, and how far each is behind in replay
-- (studio.run.replicas says how the lag is measured). One row per standby, or one row of
-- NULLs but `at_lsn` when none streams. pg_basebackup's walsenders (state 'backup') and
-- logical ones (subscribers, decoding clients: their slot is logical) are left out.
-- Without pg_monitor or pg_read_all_stats, a walsender's row shows its pid and nothing
-- else: `visible` is false then.
WITH here AS (
  SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()
              ELSE pg_catalog.pg_current_wal_flush_lsn() END AS lsn
), senders AS (
  SELECT r.* FROM pg_catalog.pg_stat_replication r
   WHERE r.state IS DISTINCT FROM 'backup'
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s
                      WHERE s.active_pid = r.pid AND s.slot_type = 'logical')
)
SELECT pg_catalog.pg_wal_lsn_diff(here.lsn, '0/0')::bigint AS at_lsn,
       s.pid,
       s.state IS NOT NULL AS visible,
       coalesce(nullif(s.application_name, ''), 'standby')
         || '@' || coalesce(pg_catalog.host(s.client_addr), 'local') AS name,
       s.state,
       pg_catalog.pg_wal_lsn_diff(s.replay_lsn, '0/0')::bigint AS replay_at,
       extract(epoch FROM s.replay_lag)::float8 AS replay_lag,
       current_user AS role
  FROM here LEFT JOIN senders s ON true
 ORDER BY name, s.pid
