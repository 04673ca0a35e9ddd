BEGIN;
-- create range type public.textrange_c
CREATE TYPE public.textrange_c AS RANGE (SUBTYPE = text, COLLATION = pg_catalog."C", MULTIRANGE_TYPE_NAME = public.textmultirange_c);
-- create function public.time_diff(time without time zone, time without time zone)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.time_diff(time without time zone, time without time zone)
 RETURNS double precision
 LANGUAGE sql
 IMMUTABLE STRICT
AS $function$SELECT EXTRACT(EPOCH FROM ($1 - $2))$function$;
-- create range type public.timerange
CREATE TYPE public.timerange AS RANGE (SUBTYPE = time without time zone, SUBTYPE_DIFF = public.time_diff, MULTIRANGE_TYPE_NAME = public.timemultirange);
-- create table public.bookings
CREATE TABLE public.bookings (
    room integer,
    during public.timerange NOT NULL,
    labels public.textrange_c
);
-- add exclusion bookings_during_excl on public.bookings
ALTER TABLE public.bookings ADD CONSTRAINT bookings_during_excl EXCLUDE USING gist (during WITH &&);
-- add foreign key bookings_room_fkey on public.bookings
ALTER TABLE public.bookings ADD CONSTRAINT bookings_room_fkey FOREIGN KEY (room) REFERENCES public.rooms(id);
-- comment on type public.timerange
COMMENT ON TYPE public.timerange IS 'a time of day range';
COMMIT;
