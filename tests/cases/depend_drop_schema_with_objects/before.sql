-- A schema dropped with everything in it: its objects go first, what other
-- schemas hold that uses them before those.
CREATE SCHEMA billing;
CREATE TYPE billing.state AS ENUM ('open', 'paid');
CREATE DOMAIN billing.amount AS numeric(12, 2) CHECK (VALUE >= 0);
CREATE FUNCTION billing.total(a billing.amount, b billing.amount) RETURNS numeric LANGUAGE sql IMMUTABLE RETURN a + b;
CREATE SEQUENCE billing.invoice_no;
CREATE TABLE billing.invoices (
  id bigint PRIMARY KEY DEFAULT nextval('billing.invoice_no'),
  state billing.state NOT NULL DEFAULT 'open',
  net billing.amount,
  tax billing.amount
);
CREATE VIEW billing.open_invoices AS SELECT id, billing.total(net, tax) AS gross FROM billing.invoices WHERE state = 'open';
CREATE TABLE public.customers (id int PRIMARY KEY, last_state billing.state, credit billing.amount);
CREATE VIEW public.open_totals AS SELECT sum(gross) AS gross FROM billing.open_invoices;
