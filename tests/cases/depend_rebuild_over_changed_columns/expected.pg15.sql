BEGIN;
-- drop policy own_rows on public.accounts
DROP POLICY own_rows ON public.accounts;
-- drop policy positive on public.accounts
DROP POLICY positive ON public.accounts;
-- drop trigger balance_audit on public.accounts
DROP TRIGGER balance_audit ON public.accounts;
-- drop view public.rich_names
DROP VIEW public.rich_names;
-- drop view public.rich
DROP VIEW public.rich;
-- drop column public.accounts.legacy_flag [data loss]
ALTER TABLE public.accounts DROP COLUMN legacy_flag;
-- drop function public.total_balance()
DROP FUNCTION public.total_balance();
-- alter column public.accounts.balance type integer -> bigint
ALTER TABLE public.accounts ALTER COLUMN balance TYPE bigint;
-- alter column public.accounts.owner_name type character varying(40) -> text
ALTER TABLE public.accounts ALTER COLUMN owner_name TYPE text;
-- create function public.total_balance()
CREATE OR REPLACE FUNCTION public.total_balance()
 RETURNS bigint
 LANGUAGE sql
 STABLE
BEGIN ATOMIC
 SELECT sum(accounts.balance) AS sum
    FROM public.accounts;
END;
-- create view public.rich
CREATE VIEW public.rich AS
SELECT accounts.id,
    accounts.owner_name,
    accounts.balance
   FROM public.accounts
  WHERE (accounts.balance > 1000);
-- create view public.rich_names
CREATE VIEW public.rich_names AS
SELECT rich.owner_name
   FROM public.rich;
-- create trigger balance_audit on public.accounts
CREATE TRIGGER balance_audit AFTER UPDATE OF balance ON public.accounts FOR EACH ROW WHEN ((old.balance IS DISTINCT FROM new.balance)) EXECUTE FUNCTION public.audit();
-- create policy own_rows on public.accounts
CREATE POLICY own_rows ON public.accounts AS PERMISSIVE FOR ALL TO PUBLIC USING ((owner_name = CURRENT_USER));
-- create policy positive on public.accounts
CREATE POLICY positive ON public.accounts AS PERMISSIVE FOR UPDATE TO PUBLIC USING ((balance >= 0));
COMMIT;
