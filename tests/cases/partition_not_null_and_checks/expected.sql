BEGIN;
-- set not null on public.m.k
ALTER TABLE public.m ALTER COLUMN k SET NOT NULL;
-- set not null on public.m1.n
ALTER TABLE public.m1 ALTER COLUMN n SET NOT NULL;
-- add check m_n_check on public.m
ALTER TABLE public.m ADD CONSTRAINT m_n_check CHECK ((n > 0));
-- add check m1_n_small on public.m1
ALTER TABLE public.m1 ADD CONSTRAINT m1_n_small CHECK ((n < 100));
COMMIT;
