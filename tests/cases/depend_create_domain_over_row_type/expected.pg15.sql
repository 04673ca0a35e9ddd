BEGIN;
-- create table public.zz_points
CREATE TABLE public.zz_points (
    x integer NOT NULL,
    y integer NOT NULL
);
-- create domain public.a_point
CREATE DOMAIN public.a_point AS public.zz_points;
ALTER DOMAIN public.a_point ADD CONSTRAINT a_point_check CHECK (((VALUE).x >= 0));
-- create domain public.a_points
CREATE DOMAIN public.a_points AS public.zz_points[];
-- create table public.a_shapes
CREATE TABLE public.a_shapes (
    id integer NOT NULL,
    origin public.a_point,
    corners public.a_points,
    raw public.zz_points
);
-- add primary key a_shapes_pkey on public.a_shapes
ALTER TABLE public.a_shapes ADD CONSTRAINT a_shapes_pkey PRIMARY KEY (id);
-- create view public.a_origins
CREATE VIEW public.a_origins AS
SELECT a_shapes.id,
    (a_shapes.origin).x AS x
   FROM public.a_shapes;
COMMIT;
