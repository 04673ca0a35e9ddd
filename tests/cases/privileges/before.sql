CREATE SCHEMA app;
CREATE TABLE app.t (id int, secret text);
CREATE SEQUENCE app.s;
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
GRANT SELECT ON app.t TO pg_monitor;
GRANT USAGE ON SCHEMA app TO pg_monitor, pg_read_all_stats;
