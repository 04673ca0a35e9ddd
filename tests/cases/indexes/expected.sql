BEGIN;
-- drop index t_a_idx on public.t
DROP INDEX public.t_a_idx;
-- drop index t_gone_idx on public.t
DROP INDEX public.t_gone_idx;
-- create index t_a_idx on public.t
CREATE INDEX t_a_idx ON public.t USING btree (a) WHERE (a > 0);
-- create index t_c_idx on public.t
CREATE INDEX t_c_idx ON public.t USING gin (c jsonb_path_ops);
-- create index t_multi_idx on public.t
CREATE INDEX t_multi_idx ON public.t USING btree (a DESC, b NULLS FIRST) INCLUDE (d);
-- comment on index public.t_b_idx
COMMENT ON INDEX public.t_b_idx IS 'by b';
COMMIT;
