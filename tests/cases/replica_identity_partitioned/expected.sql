BEGIN;
-- create table public.measurements_2025, to be attached to public.measurements
CREATE TABLE public.measurements_2025 (
    id integer CONSTRAINT measurements_id_not_null NOT NULL,
    at date CONSTRAINT measurements_at_not_null NOT NULL,
    v integer
);
-- attach partition public.measurements_2025 to public.measurements
ALTER TABLE public.measurements ATTACH PARTITION public.measurements_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- create unique index logs_ident on only public.logs (invalid until its partitions' indexes are attached)
CREATE UNIQUE INDEX logs_ident ON ONLY public.logs USING btree (id, k);
-- set replica identity of public.logs to using index logs_ident
ALTER TABLE public.logs REPLICA IDENTITY USING INDEX logs_ident;
-- set replica identity of public.measurements to full
ALTER TABLE public.measurements REPLICA IDENTITY FULL;
-- set replica identity of public.measurements_2024 to nothing
ALTER TABLE public.measurements_2024 REPLICA IDENTITY NOTHING;
-- set replica identity of public.measurements_2025 to full
ALTER TABLE public.measurements_2025 REPLICA IDENTITY FULL;
COMMIT;
