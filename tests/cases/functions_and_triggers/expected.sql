BEGIN;
-- drop trigger t_audit on public.t
DROP TRIGGER t_audit ON public.t;
-- drop trigger t_gone on public.t
DROP TRIGGER t_gone ON public.t;
-- drop function public.gone()
DROP FUNCTION public.gone();
-- replace aggregate public.mul(integer)
CREATE OR REPLACE AGGREGATE public.mul(integer) (
    SFUNC = pg_catalog.int4mul,
    STYPE = integer,
    INITCOND = '2'
);
-- replace function public.touch()
CREATE OR REPLACE FUNCTION public.touch()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $function$;
-- create function public.thrice(x integer)
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION public.thrice(x integer)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT x * 3 $function$;
-- replace procedure public.reset_n()
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE PROCEDURE public.reset_n()
 LANGUAGE sql
AS $procedure$ UPDATE t SET n = 1 $procedure$;
-- add check t_n_check on public.t
ALTER TABLE public.t ADD CONSTRAINT t_n_check CHECK ((public.thrice(n) < 1000));
-- create index t_thrice_idx on public.t
CREATE INDEX t_thrice_idx ON public.t USING btree (public.thrice(n));
-- create trigger t_audit on public.t
CREATE TRIGGER t_audit AFTER INSERT OR UPDATE ON public.t FOR EACH STATEMENT EXECUTE FUNCTION public.audit();
-- create trigger t_new on public.t
CREATE TRIGGER t_new AFTER DELETE ON public.t FOR EACH ROW EXECUTE FUNCTION public.audit();
ALTER TABLE public.t ENABLE ALWAYS TRIGGER t_new;
-- disable trigger t_touch on public.t
ALTER TABLE public.t DISABLE TRIGGER t_touch;
-- comment on function public.twice(x integer)
COMMENT ON FUNCTION public.twice(x integer) IS 'doubles';
-- comment on trigger t_audit ON public.t
COMMENT ON TRIGGER t_audit ON public.t IS 'audit inserts and updates';
COMMIT;
