BEGIN;
-- drop index t_a on public.t
DROP INDEX public.t_a;
-- drop operator class public.num_ops USING btree with its family
DROP OPERATOR FAMILY public.num_ops USING btree;
-- create operator family public.num_ops USING btree
CREATE OPERATOR FAMILY public.num_ops USING btree;
ALTER OPERATOR FAMILY public.num_ops USING btree ADD OPERATOR 1 <(integer,bigint), FUNCTION 1 (integer, bigint) btint48cmp(integer,bigint);
-- create operator class public.num_ops USING btree
CREATE OPERATOR CLASS public.num_ops FOR TYPE integer USING btree FAMILY public.num_ops AS OPERATOR 1 <(integer,integer), OPERATOR 2 <=(integer,integer), OPERATOR 3 =(integer,integer), OPERATOR 4 >=(integer,integer), OPERATOR 5 >(integer,integer), FUNCTION 1 (integer, integer) btint4cmp(integer,integer);
-- create index t_a on public.t
CREATE INDEX t_a ON public.t USING btree (a public.num_ops);
COMMIT;
