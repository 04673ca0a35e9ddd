BEGIN;
-- drop index t_a on public.t
DROP INDEX public.t_a;
-- drop index t_b on public.t
DROP INDEX public.t_b;
-- drop operator class public.int4_x USING btree
DROP OPERATOR CLASS public.int4_x USING btree;
-- drop operator class public.int8_x USING btree
DROP OPERATOR CLASS public.int8_x USING btree;
-- drop operator family public.ints USING btree
DROP OPERATOR FAMILY public.ints USING btree;
-- create operator family public.ints USING btree
CREATE OPERATOR FAMILY public.ints USING btree;
ALTER OPERATOR FAMILY public.ints USING btree ADD OPERATOR 1 <(integer,bigint), OPERATOR 1 <(bigint,integer), OPERATOR 3 =(integer,bigint), OPERATOR 3 =(bigint,integer), OPERATOR 5 >(integer,bigint), FUNCTION 1 (integer, bigint) btint48cmp(integer,bigint), FUNCTION 1 (bigint, integer) btint84cmp(bigint,integer);
-- create operator class public.int4_x USING btree
CREATE OPERATOR CLASS public.int4_x FOR TYPE integer USING btree FAMILY public.ints AS OPERATOR 1 <(integer,integer), OPERATOR 2 <=(integer,integer), OPERATOR 3 =(integer,integer), OPERATOR 4 >=(integer,integer), OPERATOR 5 >(integer,integer), FUNCTION 1 (integer, integer) btint4cmp(integer,integer);
-- create operator class public.int8_x USING btree
CREATE OPERATOR CLASS public.int8_x FOR TYPE bigint USING btree FAMILY public.ints AS OPERATOR 1 <(bigint,bigint), OPERATOR 2 <=(bigint,bigint), OPERATOR 3 =(bigint,bigint), OPERATOR 4 >=(bigint,bigint), OPERATOR 5 >(bigint,bigint), FUNCTION 1 (bigint, bigint) btint8cmp(bigint,bigint);
-- create index t_a on public.t
CREATE INDEX t_a ON public.t USING btree (a public.int4_x);
-- create index t_b on public.t
CREATE INDEX t_b ON public.t USING btree (b public.int8_x);
-- comment on operator family public.ints USING btree
COMMENT ON OPERATOR FAMILY public.ints USING btree IS 'integers of both widths';
COMMIT;
