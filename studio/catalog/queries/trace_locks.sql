-- The relation locks one backend holds or waits for, in the current database.
SELECT l.relation::int8 AS oid, l.mode, l.granted
FROM pg_locks l
WHERE l.pid = $1 AND l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
