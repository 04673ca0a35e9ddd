BEGIN;
-- drop index t_a on public.t
DROP INDEX public.t_a;
-- drop index t_b on public.t
DROP INDEX public.t_b;
-- drop operator class public.rev_ops USING btree with its family
DROP OPERATOR FAMILY public.rev_ops USING btree;
-- create index t_a on public.t
CREATE INDEX t_a ON public.t USING btree (a);
COMMIT;
