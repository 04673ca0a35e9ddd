BEGIN;
-- revoke execute on function app.f() from PUBLIC
REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;
-- revoke usage on schema app from pg_read_all_stats
REVOKE USAGE ON SCHEMA app FROM pg_read_all_stats;
-- grant usage on sequence app.s to pg_monitor
GRANT USAGE ON SEQUENCE app.s TO pg_monitor;
-- make pg_monitor the owner of table app.t
ALTER TABLE app.t OWNER TO pg_monitor;
-- grant insert on table app.t to pg_read_all_stats
GRANT INSERT ON TABLE app.t TO pg_read_all_stats WITH GRANT OPTION;
-- grant select on column app.t to pg_monitor
GRANT SELECT (id) ON TABLE app.t TO pg_monitor;
COMMIT;
