-- Lock waits: one row per (waiting backend, blocking backend) pair.
-- PostgreSQL 14+ (pg_locks.waitstart). $1: whole server (true) or the current database only.
--
-- Cheap on a busy server: the waiters come from pg_stat_activity (wait_event_type
-- 'Lock' marks a heavyweight-lock wait), which takes no lock-manager lock.
-- pg_blocking_pids() and pg_locks both lock every lock-manager partition, so
-- the first runs only for those waiters and the second only when there is one
-- (an uncorrelated EXISTS is a one-time filter: no waiter, no lock-table scan).
WITH me AS (
    SELECT oid AS datid FROM pg_database WHERE datname = current_database()
),
waiter AS MATERIALIZED (
    SELECT a.pid, pg_blocking_pids(a.pid) AS blocked_by
    FROM pg_stat_activity a
    WHERE a.wait_event_type = 'Lock'
      AND a.pid <> pg_backend_pid()
      AND ($1::bool OR a.datid = (SELECT datid FROM me))
),
edge AS MATERIALIZED (
    -- a lock granted between the two reads leaves an empty array: no longer a wait
    SELECT w.pid AS waiter, b.pid AS blocker
    FROM waiter w CROSS JOIN LATERAL unnest(w.blocked_by) AS b(pid)
),
lock AS MATERIALIZED (
    -- locks of the waiters and their blockers; a prepared transaction's locks have
    -- no pid (pg_blocking_pids() reports it as pid 0)
    SELECT l.*
    FROM pg_locks l
    WHERE EXISTS (SELECT FROM edge)
      AND (l.pid IN (SELECT waiter FROM edge UNION SELECT blocker FROM edge) OR l.pid IS NULL)
),
session AS MATERIALIZED (
    SELECT a.pid, a.datname, a.usename, a.application_name, a.backend_type,
           host(a.client_addr) AS client_addr, a.client_port, a.state,
           a.wait_event_type, left(a.query, 400) AS query,
           a.xact_start, now() - a.xact_start AS xact_age, a.query_start
    FROM pg_stat_activity a
    WHERE EXISTS (SELECT FROM edge)
      AND a.pid IN (SELECT waiter FROM edge UNION SELECT blocker FROM edge)
)
SELECT
    e.waiter AS pid,
    ws.datname, ws.usename, ws.application_name, ws.backend_type,
    ws.client_addr, ws.client_port, ws.state, ws.query, ws.xact_age,
    -- waitstart is briefly null right after the wait began
    coalesce(wl.waitstart, ws.query_start) AS wait_start,
    now() - coalesce(wl.waitstart, ws.query_start) AS waited,
    wl.locktype, wl.mode,
    wl.database AS lock_datid,
    (wl.database = (SELECT datid FROM me) OR wl.database = 0) AS lock_here,
    wl.relation, rn.nspname AS rel_schema, rc.relname AS rel_name,
    wl.page, wl.tuple, wl.virtualxid, wl.transactionid::text AS transactionid,
    wl.classid, wl.objid, wl.objsubid,
    CASE WHEN wl.locktype = 'object' AND (wl.database = (SELECT datid FROM me) OR wl.database = 0)
         THEN pg_describe_object(wl.classid, wl.objid, wl.objsubid::int) END AS object,
    e.blocker AS blocker_pid,
    bs.datname AS blocker_datname, bs.usename AS blocker_usename,
    bs.application_name AS blocker_application_name, bs.backend_type AS blocker_backend_type,
    bs.client_addr AS blocker_client_addr, bs.client_port AS blocker_client_port,
    bs.state AS blocker_state, bs.query AS blocker_query, bs.xact_age AS blocker_xact_age,
    coalesce(bs.wait_event_type = 'Lock', false) AS blocker_waiting,
    held.granted_modes AS blocker_granted_modes,
    held.queued_modes AS blocker_queued_modes
FROM edge e
JOIN lock wl ON wl.pid = e.waiter AND NOT wl.granted
LEFT JOIN session ws ON ws.pid = e.waiter
LEFT JOIN session bs ON bs.pid = e.blocker
LEFT JOIN pg_class rc
       ON rc.oid = wl.relation AND (wl.database = (SELECT datid FROM me) OR wl.database = 0)
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
CROSS JOIN LATERAL (
    -- what the blocker holds on the waited-for object, or requests ahead of the waiter
    SELECT array_agg(DISTINCT bl.mode) FILTER (WHERE bl.granted) AS granted_modes,
           array_agg(DISTINCT bl.mode) FILTER (WHERE NOT bl.granted) AS queued_modes
    FROM lock bl
    WHERE bl.pid IS NOT DISTINCT FROM nullif(e.blocker, 0)
      AND bl.locktype = wl.locktype
      AND bl.database IS NOT DISTINCT FROM wl.database
      AND bl.relation IS NOT DISTINCT FROM wl.relation
      AND bl.page IS NOT DISTINCT FROM wl.page
      AND bl.tuple IS NOT DISTINCT FROM wl.tuple
      AND bl.virtualxid IS NOT DISTINCT FROM wl.virtualxid
      AND bl.transactionid IS NOT DISTINCT FROM wl.transactionid
      AND bl.classid IS NOT DISTINCT FROM wl.classid
      AND bl.objid IS NOT DISTINCT FROM wl.objid
      AND bl.objsubid IS NOT DISTINCT FROM wl.objsubid
) held
ORDER BY e.waiter, e.blocker
