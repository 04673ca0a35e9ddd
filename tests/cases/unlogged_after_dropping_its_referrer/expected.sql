BEGIN;
-- drop foreign key t3_t0 on public.t3
ALTER TABLE public.t3 DROP CONSTRAINT t3_t0;
-- drop table public.t1 [data loss]
DROP TABLE public.t1;
-- make sequence public.s0 owned by none
ALTER SEQUENCE public.s0 OWNED BY NONE;
-- drop table public.t2 [data loss]
DROP TABLE public.t2;
-- make public.t0 unlogged
ALTER TABLE public.t0 SET UNLOGGED;
-- create rule t0_rule ON public.t0
CREATE RULE t0_rule AS
    ON DELETE TO public.t0 DO INSTEAD NOTHING;
COMMIT;
