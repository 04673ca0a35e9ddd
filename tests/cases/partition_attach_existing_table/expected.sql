BEGIN;
-- detach partition public.m1 from public.m
ALTER TABLE public.m DETACH PARTITION public.m1;
-- drop primary key m1_pkey on public.m1
ALTER TABLE public.m1 DROP CONSTRAINT m1_pkey;
-- drop index m1_k_idx on public.m1
DROP INDEX public.m1_k_idx;
-- rename constraint m_at_not_null on public.m1 to m1_at_not_null
ALTER TABLE public.m1 RENAME CONSTRAINT m_at_not_null TO m1_at_not_null;
-- rename constraint m_id_not_null on public.m1 to m1_id_not_null
ALTER TABLE public.m1 RENAME CONSTRAINT m_id_not_null TO m1_id_not_null;
-- attach partition public.t to public.m
ALTER TABLE public.m ATTACH PARTITION public.t FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
COMMIT;
