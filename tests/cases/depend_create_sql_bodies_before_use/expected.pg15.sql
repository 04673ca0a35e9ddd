BEGIN;
-- create function public.next_code()
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.next_code()
 RETURNS integer
 LANGUAGE sql
AS $function$ SELECT coalesce(max(code), 0) + 1 FROM public.tickets $function$;
-- create table public.tickets
CREATE TABLE public.tickets (
    id integer NOT NULL,
    code integer DEFAULT public.next_code() NOT NULL
);
-- add primary key tickets_pkey on public.tickets
ALTER TABLE public.tickets ADD CONSTRAINT tickets_pkey PRIMARY KEY (id);
-- create view public.open_tickets
CREATE VIEW public.open_tickets AS
SELECT tickets.id,
    tickets.code
   FROM public.tickets
  WHERE (tickets.code > 0);
-- create function public.open_count()
CREATE OR REPLACE FUNCTION public.open_count()
 RETURNS bigint
 LANGUAGE sql
 STABLE
BEGIN ATOMIC
 SELECT count(*) AS count
    FROM public.open_tickets;
END;
-- create function public.busy()
CREATE OR REPLACE FUNCTION public.busy()
 RETURNS boolean
 LANGUAGE sql
 STABLE
RETURN (public.open_count() > 10);
-- create table public.settings
CREATE TABLE public.settings (
    id integer NOT NULL,
    busy_at_start boolean DEFAULT public.busy()
);
-- add primary key settings_pkey on public.settings
ALTER TABLE public.settings ADD CONSTRAINT settings_pkey PRIMARY KEY (id);
COMMIT;
