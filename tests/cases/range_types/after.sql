CREATE FUNCTION public.time_diff(time, time) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT EXTRACT(EPOCH FROM ($1 - $2))';
CREATE TYPE public.timerange AS RANGE (SUBTYPE = time, SUBTYPE_DIFF = public.time_diff);
CREATE TYPE public.textrange_c AS RANGE (SUBTYPE = text, COLLATION = "C");
CREATE TABLE public.rooms (id integer PRIMARY KEY);
CREATE TABLE public.bookings (
  room integer REFERENCES public.rooms,
  during public.timerange NOT NULL,
  labels public.textrange_c,
  EXCLUDE USING gist (during WITH &&)
);
COMMENT ON TYPE public.timerange IS 'a time of day range';
