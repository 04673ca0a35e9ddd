BEGIN;
-- drop view public.open_totals
DROP VIEW public.open_totals;
-- drop view billing.open_invoices
DROP VIEW billing.open_invoices;
-- drop column public.customers.credit [data loss]
ALTER TABLE public.customers DROP COLUMN credit;
-- drop column public.customers.last_state [data loss]
ALTER TABLE public.customers DROP COLUMN last_state;
-- drop table billing.invoices [data loss]
DROP TABLE billing.invoices;
-- drop function billing.total(a billing.amount, b billing.amount)
DROP FUNCTION billing.total(a billing.amount, b billing.amount);
-- drop sequence billing.invoice_no
DROP SEQUENCE billing.invoice_no;
-- drop domain billing.amount
DROP DOMAIN billing.amount;
-- drop enum billing.state
DROP TYPE billing.state;
-- drop schema billing
DROP SCHEMA billing;
COMMIT;
