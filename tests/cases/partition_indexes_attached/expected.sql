BEGIN;
-- rename index m2_v_idx on public.m2 to m2_v_custom
ALTER INDEX public.m2_v_idx RENAME TO m2_v_custom;
-- create table public.m3, to be attached to public.m
CREATE TABLE public.m3 (
    id integer CONSTRAINT m_id_not_null NOT NULL,
    at date CONSTRAINT m_at_not_null NOT NULL,
    k text,
    v integer
);
-- create index m_k on only public.m (invalid until its partitions' indexes are attached)
CREATE INDEX m_k ON ONLY public.m USING btree (k);
-- create index m2_k_idx on public.m2
CREATE INDEX m2_k_idx ON public.m2 USING btree (k);
-- create index m3_k_idx on public.m3
CREATE INDEX m3_k_idx ON public.m3 USING btree (k);
-- create index m3_v_idx on public.m3
CREATE INDEX m3_v_idx ON public.m3 USING btree (v);
-- attach partition public.m3 to public.m
ALTER TABLE public.m ATTACH PARTITION public.m3 FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
-- attach index m1_k of public.m1 to index m_k of public.m
ALTER INDEX public.m_k ATTACH PARTITION public.m1_k;
-- attach index m2_k_idx of public.m2 to index m_k of public.m
ALTER INDEX public.m_k ATTACH PARTITION public.m2_k_idx;
-- attach index m3_k_idx of public.m3 to index m_k of public.m
ALTER INDEX public.m_k ATTACH PARTITION public.m3_k_idx;
COMMIT;
