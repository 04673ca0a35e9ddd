BEGIN;
-- set replica identity of public.events to default
ALTER TABLE public.events REPLICA IDENTITY DEFAULT;
-- drop index events_ident on public.events
DROP INDEX public.events_ident;
-- create unique index events_ident on public.events
CREATE UNIQUE INDEX events_ident ON public.events USING btree (id);
-- set replica identity of public.events to using index events_ident
ALTER TABLE public.events REPLICA IDENTITY USING INDEX events_ident;
-- set replica identity of public.items to default
ALTER TABLE public.items REPLICA IDENTITY DEFAULT;
-- drop unique items_code_key on public.items
ALTER TABLE public.items DROP CONSTRAINT items_code_key;
-- add unique items_code_key on public.items
ALTER TABLE public.items ADD CONSTRAINT items_code_key UNIQUE (code, id);
-- set replica identity of public.items to using index items_code_key
ALTER TABLE public.items REPLICA IDENTITY USING INDEX items_code_key;
COMMIT;
