BEGIN;
-- create table public.audit
CREATE TABLE public.audit (
    at timestamp with time zone,
    what text
);
-- set replica identity of public.audit to full
ALTER TABLE public.audit REPLICA IDENTITY FULL;
-- set replica identity of public.to_default to default
ALTER TABLE public.to_default REPLICA IDENTITY DEFAULT;
-- set replica identity of public.to_full to full
ALTER TABLE public.to_full REPLICA IDENTITY FULL;
-- set replica identity of public.to_nothing to nothing
ALTER TABLE public.to_nothing REPLICA IDENTITY NOTHING;
COMMIT;
