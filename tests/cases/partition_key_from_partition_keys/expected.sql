BEGIN;
-- add primary key m_pkey on public.m
ALTER TABLE ONLY public.m ADD CONSTRAINT m_pkey PRIMARY KEY (id, at);
-- add primary key m2_pkey on public.m2
ALTER TABLE public.m2 ADD CONSTRAINT m2_pkey PRIMARY KEY (id, at);
-- attach index m1_key of public.m1 to index m_pkey of public.m
ALTER INDEX public.m_pkey ATTACH PARTITION public.m1_key;
-- attach index m2_pkey of public.m2 to index m_pkey of public.m
ALTER INDEX public.m_pkey ATTACH PARTITION public.m2_pkey;
COMMIT;
