BEGIN;
-- create function public.rev_cmp(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.rev_cmp(integer, integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT CASE WHEN $1 > $2 THEN -1 WHEN $1 < $2 THEN 1 ELSE 0 END$function$;
-- create function public.rev_gt(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.rev_gt(integer, integer)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT $1 < $2$function$;
-- create function public.rev_lt(integer, integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.rev_lt(integer, integer)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$SELECT $1 > $2$function$;
-- create operator class public.text_len_ops USING hash
CREATE OPERATOR CLASS public.text_len_ops FOR TYPE text USING hash AS OPERATOR 1 =(text,text), FUNCTION 1 (text, text) hashtext(text);
-- create operator public.<<< (integer, integer)
CREATE OPERATOR public.<<< (FUNCTION = public.rev_lt, LEFTARG = integer, RIGHTARG = integer);
-- create operator public.>>> (integer, integer)
CREATE OPERATOR public.>>> (FUNCTION = public.rev_gt, LEFTARG = integer, RIGHTARG = integer);
-- create operator class public.rev_ops USING btree
CREATE OPERATOR CLASS public.rev_ops FOR TYPE integer USING btree AS OPERATOR 1 public.<<<(integer,integer), OPERATOR 3 =(integer,integer), OPERATOR 5 public.>>>(integer,integer), FUNCTION 1 (integer, integer) public.rev_cmp(integer,integer);
-- create index t_a_rev on public.t
CREATE INDEX t_a_rev ON public.t USING btree (a public.rev_ops);
-- create index t_b_hash on public.t
CREATE INDEX t_b_hash ON public.t USING hash (b public.text_len_ops);
-- comment on operator class public.rev_ops USING btree
COMMENT ON OPERATOR CLASS public.rev_ops USING btree IS 'descending integers';
COMMIT;
