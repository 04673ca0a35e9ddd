BEGIN;
-- drop exclusion t_b_excl on public.t
ALTER TABLE public.t DROP CONSTRAINT t_b_excl;
-- drop index t_a on public.t
DROP INDEX public.t_a;
-- drop operator class public.my_ops USING btree with its family
DROP OPERATOR FAMILY public.my_ops USING btree;
-- create operator class public.my_ops USING btree
CREATE OPERATOR CLASS public.my_ops FOR TYPE integer USING btree AS OPERATOR 1 >(integer,integer), OPERATOR 2 >=(integer,integer), OPERATOR 3 =(integer,integer), OPERATOR 5 <(integer,integer), FUNCTION 1 (integer, integer) public.abs_cmp(integer,integer);
-- add exclusion t_b_excl on public.t
ALTER TABLE public.t ADD CONSTRAINT t_b_excl EXCLUDE USING btree (b public.my_ops WITH =);
-- create index t_a on public.t
CREATE INDEX t_a ON public.t USING btree (a public.my_ops);
COMMIT;
