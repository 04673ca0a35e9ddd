-- SQL function bodies that name what is created later. A body in quotes is
-- not tracked by pg_depend: it is created with check_function_bodies off,
-- here before the table whose default calls it and whose rows it reads. An
-- SQL-standard body is tracked: created after the view it reads.
CREATE TABLE tickets (id int PRIMARY KEY, code int NOT NULL);
CREATE FUNCTION next_code() RETURNS int LANGUAGE sql VOLATILE AS $$ SELECT coalesce(max(code), 0) + 1 FROM public.tickets $$;
ALTER TABLE tickets ALTER COLUMN code SET DEFAULT next_code();
CREATE VIEW open_tickets AS SELECT id, code FROM tickets WHERE code > 0;
CREATE FUNCTION open_count() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM open_tickets; END;
CREATE FUNCTION busy() RETURNS boolean LANGUAGE sql STABLE RETURN open_count() > 10;
CREATE TABLE settings (id int PRIMARY KEY, busy_at_start boolean DEFAULT busy());
