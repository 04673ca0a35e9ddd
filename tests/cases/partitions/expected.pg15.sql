BEGIN;
-- detach partition public.events_old from public.events
ALTER TABLE public.events DETACH PARTITION public.events_old;
-- drop table public.regrouped to create it again partitioned by RANGE (k) instead of LIST (k) (its rows are not carried over) [data loss]
DROP TABLE public.regrouped;
-- create table public.events_2025, to be attached to public.events
CREATE TABLE public.events_2025 (
    id bigint NOT NULL,
    at date NOT NULL,
    kind text,
    source text DEFAULT 'app'::text
);
-- create table public.events_default, to be attached to public.events
CREATE TABLE public.events_default (
    id bigint NOT NULL,
    at date NOT NULL,
    kind text,
    source text DEFAULT 'app'::text
);
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
-- attach partition public.events_2025 to public.events
ALTER TABLE public.events ATTACH PARTITION public.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- attach partition public.events_default to public.events
ALTER TABLE public.events ATTACH PARTITION public.events_default DEFAULT;
-- add primary key events_pkey on public.events
ALTER TABLE ONLY public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
-- add primary key events_2023_pkey on public.events_2023
ALTER TABLE public.events_2023 ADD CONSTRAINT events_2023_pkey PRIMARY KEY (id, at);
-- add primary key events_2024_pkey on public.events_2024
ALTER TABLE public.events_2024 ADD CONSTRAINT events_2024_pkey PRIMARY KEY (id, at);
-- add primary key events_2025_pkey on public.events_2025
ALTER TABLE public.events_2025 ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, at);
-- add primary key events_default_pkey on public.events_default
ALTER TABLE public.events_default ADD CONSTRAINT events_default_pkey PRIMARY KEY (id, at);
-- create index events_kind_idx on only public.events (invalid until its partitions' indexes are attached)
CREATE INDEX events_kind_idx ON ONLY public.events USING btree (kind);
-- create index events_2023_kind_idx on public.events_2023
CREATE INDEX events_2023_kind_idx ON public.events_2023 USING btree (kind);
-- create index events_2024_kind_idx on public.events_2024
CREATE INDEX events_2024_kind_idx ON public.events_2024 USING btree (kind);
-- create index events_2025_kind_idx on public.events_2025
CREATE INDEX events_2025_kind_idx ON public.events_2025 USING btree (kind);
-- create index events_default_kind_idx on public.events_default
CREATE INDEX events_default_kind_idx ON public.events_default USING btree (kind);
-- attach index events_2023_kind_idx of public.events_2023 to index events_kind_idx of public.events
ALTER INDEX public.events_kind_idx ATTACH PARTITION public.events_2023_kind_idx;
-- attach index events_2024_kind_idx of public.events_2024 to index events_kind_idx of public.events
ALTER INDEX public.events_kind_idx ATTACH PARTITION public.events_2024_kind_idx;
-- attach index events_2025_kind_idx of public.events_2025 to index events_kind_idx of public.events
ALTER INDEX public.events_kind_idx ATTACH PARTITION public.events_2025_kind_idx;
-- attach index events_default_kind_idx of public.events_default to index events_kind_idx of public.events
ALTER INDEX public.events_kind_idx ATTACH PARTITION public.events_default_kind_idx;
-- attach index events_2023_pkey of public.events_2023 to index events_pkey of public.events
ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2023_pkey;
-- attach index events_2024_pkey of public.events_2024 to index events_pkey of public.events
ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2024_pkey;
-- attach index events_2025_pkey of public.events_2025 to index events_pkey of public.events
ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2025_pkey;
-- attach index events_default_pkey of public.events_default to index events_pkey of public.events
ALTER INDEX public.events_pkey ATTACH PARTITION public.events_default_pkey;
COMMIT;
