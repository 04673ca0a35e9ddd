BEGIN;
-- detach partition public.events_old from public.events
ALTER TABLE public.events DETACH PARTITION public.events_old;
-- drop table public.regrouped [data loss]
DROP TABLE public.regrouped;
-- create partition public.events_2025
CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- create partition public.events_default
CREATE TABLE public.events_default PARTITION OF public.events DEFAULT;
-- create table public.regrouped
CREATE TABLE public.regrouped (
    id integer,
    k integer
) PARTITION BY RANGE (k);
-- add column public.events.source text
ALTER TABLE public.events ADD COLUMN source text DEFAULT 'app'::text;
-- add column public.events_2024.source text
ALTER TABLE public.events_2024 ADD COLUMN source text DEFAULT 'app'::text;
-- add column public.events_old.source text
ALTER TABLE public.events_old ADD COLUMN source text DEFAULT 'app'::text;
-- attach partition public.events_2024 to public.events
ALTER TABLE public.events ATTACH PARTITION public.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- add primary key events_pkey on public.events
ALTER TABLE public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
-- create index events_kind_idx on public.events
CREATE INDEX events_kind_idx ON public.events USING btree (kind);
COMMIT;
