CREATE FUNCTION public.abs_cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT btint4cmp(abs($1), abs($2))';
-- a btree family and a class of another name in it
CREATE OPERATOR FAMILY public.by_abs USING btree;
CREATE OPERATOR CLASS public.int4_abs_ops FOR TYPE integer USING btree FAMILY public.by_abs AS
  OPERATOR 1 <, OPERATOR 3 =, OPERATOR 5 >, FUNCTION 1 public.abs_cmp(integer, integer);
COMMENT ON OPERATOR FAMILY public.by_abs USING btree IS 'orders by absolute value';
-- GiST keeps a class's operators and optional functions loose in the family: the family
-- holds them (with a FOR ORDER BY), the class its required functions and its STORAGE
CREATE OPERATOR FAMILY public.geo USING gist;
CREATE OPERATOR CLASS public.geo_point_ops FOR TYPE point USING gist FAMILY public.geo AS
  OPERATOR 1 <<, OPERATOR 5 >>, OPERATOR 6 ~=, OPERATOR 10 <<|, OPERATOR 11 |>>,
  OPERATOR 15 <-> (point, point) FOR ORDER BY pg_catalog.float_ops,
  OPERATOR 28 <@ (point, box), OPERATOR 29 <^, OPERATOR 30 >^,
  FUNCTION 1 gist_point_consistent(internal, point, smallint, oid, internal),
  FUNCTION 2 gist_box_union(internal, internal),
  FUNCTION 3 gist_point_compress(internal),
  FUNCTION 5 gist_box_penalty(internal, internal, internal),
  FUNCTION 6 gist_box_picksplit(internal, internal),
  FUNCTION 7 gist_box_same(box, box, internal),
  FUNCTION 8 gist_point_distance(internal, point, smallint, oid, internal),
  FUNCTION 9 gist_point_fetch(internal),
  STORAGE box;
CREATE TABLE public.places (id integer, at point);
CREATE INDEX places_id ON public.places (id public.int4_abs_ops);
CREATE INDEX places_at ON public.places USING gist (at public.geo_point_ops);
