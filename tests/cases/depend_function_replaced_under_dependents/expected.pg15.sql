BEGIN;
-- drop policy t_small on public.t
DROP POLICY t_small ON public.t;
-- drop trigger t_when on public.t
DROP TRIGGER t_when ON public.t;
-- drop view public.t_norms
DROP VIEW public.t_norms;
-- drop check t_n_check on public.t
ALTER TABLE public.t DROP CONSTRAINT t_n_check;
-- drop index t_norm_idx on public.t
DROP INDEX public.t_norm_idx;
-- drop column public.t.m
ALTER TABLE public.t DROP COLUMN m;
-- drop function public.twice_norm(x integer)
DROP FUNCTION public.twice_norm(x integer);
-- drop default of public.t.n
ALTER TABLE public.t ALTER COLUMN n DROP DEFAULT;
-- drop function public.norm(x integer)
DROP FUNCTION public.norm(x integer);
-- create function public.norm(x integer)
CREATE OR REPLACE FUNCTION public.norm(x integer)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE
RETURN abs(x);
-- add column public.t.m integer
ALTER TABLE public.t ADD COLUMN m integer GENERATED ALWAYS AS (public.norm(id)) STORED;
-- set default of public.t.n to public.norm('-1'::integer)
ALTER TABLE public.t ALTER COLUMN n SET DEFAULT public.norm('-1'::integer);
-- create function public.twice_norm(x integer)
CREATE OR REPLACE FUNCTION public.twice_norm(x integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
RETURN (public.norm(x) * 2);
-- add check t_n_check on public.t
ALTER TABLE public.t ADD CONSTRAINT t_n_check CHECK ((public.norm(n) < 100));
-- create index t_norm_idx on public.t
CREATE INDEX t_norm_idx ON public.t USING btree (public.norm(n));
-- create view public.t_norms
CREATE VIEW public.t_norms AS
SELECT t.id,
    public.norm(t.n) AS normed
   FROM public.t;
-- create trigger t_when on public.t
CREATE TRIGGER t_when BEFORE UPDATE ON public.t FOR EACH ROW WHEN ((public.norm(new.n) > 0)) EXECUTE FUNCTION public.stamp();
-- create policy t_small on public.t
CREATE POLICY t_small ON public.t AS PERMISSIVE FOR ALL TO PUBLIC USING ((public.norm(n) < 10));
COMMIT;
