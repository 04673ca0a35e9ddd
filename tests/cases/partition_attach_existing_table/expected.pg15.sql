BEGIN;
-- detach partition public.m1 from public.m
ALTER TABLE public.m DETACH PARTITION public.m1;
-- drop primary key m1_pkey on public.m1
ALTER TABLE public.m1 DROP CONSTRAINT m1_pkey;
-- drop index m1_k_idx on public.m1
DROP INDEX public.m1_k_idx;
-- attach partition public.t to public.m
ALTER TABLE public.m ATTACH PARTITION public.t FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
COMMIT;
