BEGIN;
-- create partition public.measurements_2025
CREATE TABLE public.measurements_2025 PARTITION OF public.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- create unique index logs_ident on public.logs
CREATE UNIQUE INDEX logs_ident ON public.logs USING btree (id, k);
-- set replica identity of public.logs to using index logs_ident
ALTER TABLE public.logs REPLICA IDENTITY USING INDEX logs_ident;
-- set replica identity of public.measurements to full
ALTER TABLE public.measurements REPLICA IDENTITY FULL;
-- set replica identity of public.measurements_2024 to nothing
ALTER TABLE public.measurements_2024 REPLICA IDENTITY NOTHING;
-- set replica identity of public.measurements_2025 to full
ALTER TABLE public.measurements_2025 REPLICA IDENTITY FULL;
COMMIT;
