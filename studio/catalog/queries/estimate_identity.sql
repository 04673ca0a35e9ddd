-- Who the target is, for the throughput cache: the server's address, the database and its oid
-- (the cluster's system identifier is read apart: pg_control_system() may be refused).
SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0) AS server,
       current_database() AS database,
       (SELECT oid::int8 FROM pg_database WHERE datname = current_database()) AS database_oid,
       current_setting('block_size')::int AS block_size
