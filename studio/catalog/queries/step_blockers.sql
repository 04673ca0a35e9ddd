-- The sessions that held up a migration step which just gave up waiting, asked from the
-- step's own session right after lock_timeout cancelled the wait (pg_blocking_pids() of a
-- wait that is over is empty, so the lock target is what is asked about).
-- $1 text[]: the tables the statement names; $2 bool: the statement is a concurrent index
-- build; $3 float8: seconds since the statement was sent, plus a margin (a transaction
-- begun in the instant before may have asked for its lock after it); $4 float8:
-- lock_timeout, seconds; $5 float8: seconds since the statement was sent.
--
-- A session counts only when its transaction began before the wait did: sessions of the
-- application that queued behind the step and got their lock once it gave up are not its
-- blockers (their locks and their pg_stat_activity state are a moment's, read at two
-- instants, hence "idle" sessions seen holding RowExclusiveLock). Within the margin, a
-- session idle in a transaction whose last query also began before the statement was
-- sent took its lock before the step asked: it counts. A concurrent build
-- waits, at its end, for every snapshot older than its own, held by a session of this
-- database on any table: those that held one for the whole lock_timeout count too.
WITH held AS (
    SELECT l.pid, string_agg(DISTINCT l.mode, ', ') AS modes,
           string_agg(DISTINCT l.relation::regclass::text, ', ') AS relation
    FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
      AND l.relation IN (SELECT to_regclass(n) FROM unnest($1::text[]) AS n)
    GROUP BY l.pid
)
SELECT a.pid, coalesce(a.application_name, '') AS application_name,
       coalesce(a.usename, '') AS user, coalesce(host(a.client_addr), '') AS client,
       coalesce(a.state, '') AS state, coalesce(left(a.query, 200), '') AS query,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS age,
       coalesce(h.modes, '') AS modes, coalesce(h.relation, '') AS relation,
       $2 AND a.backend_xmin IS NOT NULL AS snapshot
FROM pg_stat_activity a
LEFT JOIN held h ON h.pid = a.pid
WHERE a.pid <> pg_backend_pid()
  AND (
      (h.pid IS NOT NULL
       AND (a.xact_start < clock_timestamp() - make_interval(secs => $3)
            OR (a.state = 'idle in transaction'
                AND a.query_start < clock_timestamp() - make_interval(secs => $5))))
      OR ($2 AND a.backend_xmin IS NOT NULL AND a.datname = current_database()
          AND a.backend_type <> 'autovacuum worker'
          AND a.xact_start <= clock_timestamp() - make_interval(secs => $4))
  )
ORDER BY a.xact_start
LIMIT 5
