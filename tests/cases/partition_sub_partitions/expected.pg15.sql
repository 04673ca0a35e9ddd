BEGIN;
-- create table public.m1_b, to be attached to public.m1
CREATE TABLE public.m1_b (
    id integer NOT NULL,
    at date NOT NULL,
    k integer NOT NULL
);
-- attach partition public.m1_b to public.m1
ALTER TABLE public.m1 ATTACH PARTITION public.m1_b FOR VALUES IN (2);
-- add primary key m_pkey on public.m
ALTER TABLE ONLY public.m ADD CONSTRAINT m_pkey PRIMARY KEY (id, at, k);
-- add primary key m1_pkey on public.m1
ALTER TABLE ONLY public.m1 ADD CONSTRAINT m1_pkey PRIMARY KEY (id, at, k);
-- add primary key m1_a_pkey on public.m1_a
ALTER TABLE public.m1_a ADD CONSTRAINT m1_a_pkey PRIMARY KEY (id, at, k);
-- add primary key m1_b_pkey on public.m1_b
ALTER TABLE public.m1_b ADD CONSTRAINT m1_b_pkey PRIMARY KEY (id, at, k);
-- create index m_k on only public.m (invalid until its partitions' indexes are attached)
CREATE INDEX m_k ON ONLY public.m USING btree (k);
-- create index m1_k_idx on only public.m1 (invalid until its partitions' indexes are attached)
CREATE INDEX m1_k_idx ON ONLY public.m1 USING btree (k);
-- create index m1_a_k_idx on public.m1_a
CREATE INDEX m1_a_k_idx ON public.m1_a USING btree (k);
-- create index m1_b_k_idx on public.m1_b
CREATE INDEX m1_b_k_idx ON public.m1_b USING btree (k);
-- attach index m1_k_idx of public.m1 to index m_k of public.m
ALTER INDEX public.m_k ATTACH PARTITION public.m1_k_idx;
-- attach index m1_pkey of public.m1 to index m_pkey of public.m
ALTER INDEX public.m_pkey ATTACH PARTITION public.m1_pkey;
-- attach index m1_a_k_idx of public.m1_a to index m1_k_idx of public.m1
ALTER INDEX public.m1_k_idx ATTACH PARTITION public.m1_a_k_idx;
-- attach index m1_b_k_idx of public.m1_b to index m1_k_idx of public.m1
ALTER INDEX public.m1_k_idx ATTACH PARTITION public.m1_b_k_idx;
-- attach index m1_a_pkey of public.m1_a to index m1_pkey of public.m1
ALTER INDEX public.m1_pkey ATTACH PARTITION public.m1_a_pkey;
-- attach index m1_b_pkey of public.m1_b to index m1_pkey of public.m1
ALTER INDEX public.m1_pkey ATTACH PARTITION public.m1_b_pkey;
COMMIT;
