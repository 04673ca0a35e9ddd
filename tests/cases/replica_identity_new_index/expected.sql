BEGIN;
-- create unique index accounts_email_key on public.accounts
CREATE UNIQUE INDEX accounts_email_key ON public.accounts USING btree (email);
-- set replica identity of public.accounts to using index accounts_email_key
ALTER TABLE public.accounts REPLICA IDENTITY USING INDEX accounts_email_key;
COMMIT;
