BEGIN;
-- create function public.abs_cmp(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.abs_cmp(integer, integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT btint4cmp(abs($1), abs($2))$function$;
-- create operator family public.by_abs USING btree
CREATE OPERATOR FAMILY public.by_abs USING btree;
-- create operator class public.int4_abs_ops USING btree
CREATE OPERATOR CLASS public.int4_abs_ops FOR TYPE integer USING btree FAMILY public.by_abs AS OPERATOR 1 <(integer,integer), OPERATOR 3 =(integer,integer), OPERATOR 5 >(integer,integer), FUNCTION 1 (integer, integer) public.abs_cmp(integer,integer);
-- create operator family public.geo USING gist
CREATE OPERATOR FAMILY public.geo USING gist;
ALTER OPERATOR FAMILY public.geo USING gist ADD OPERATOR 1 <<(point,point), OPERATOR 5 >>(point,point), OPERATOR 6 ~=(point,point), OPERATOR 10 <<|(point,point), OPERATOR 11 |>>(point,point), OPERATOR 15 <->(point,point) FOR ORDER BY pg_catalog.float_ops, OPERATOR 28 <@(point,box), OPERATOR 29 <^(point,point), OPERATOR 30 >^(point,point), FUNCTION 3 (point, point) gist_point_compress(internal), FUNCTION 8 (point, point) gist_point_distance(internal,point,smallint,oid,internal), FUNCTION 9 (point, point) gist_point_fetch(internal);
-- create operator class public.geo_point_ops USING gist
CREATE OPERATOR CLASS public.geo_point_ops FOR TYPE point USING gist FAMILY public.geo AS STORAGE box, FUNCTION 1 (point, point) gist_point_consistent(internal,point,smallint,oid,internal), FUNCTION 2 (point, point) gist_box_union(internal,internal), FUNCTION 5 (point, point) gist_box_penalty(internal,internal,internal), FUNCTION 6 (point, point) gist_box_picksplit(internal,internal), FUNCTION 7 (point, point) gist_box_same(box,box,internal);
-- create index places_at on public.places
CREATE INDEX places_at ON public.places USING gist (at public.geo_point_ops);
-- create index places_id on public.places
CREATE INDEX places_id ON public.places USING btree (id public.int4_abs_ops);
-- comment on operator family public.by_abs USING btree
COMMENT ON OPERATOR FAMILY public.by_abs USING btree IS 'orders by absolute value';
COMMIT;
