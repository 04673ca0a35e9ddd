BEGIN;
-- create table public.m2, to be attached to public.m
CREATE TABLE public.m2 (
    id integer NOT NULL,
    at date NOT NULL,
    u integer
);
-- create table public.r
CREATE TABLE public.r (
    id integer,
    at date
);
-- attach partition public.m2 to public.m
ALTER TABLE public.m ATTACH PARTITION public.m2 FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
-- add primary key m_pkey on public.m
ALTER TABLE ONLY public.m ADD CONSTRAINT m_pkey PRIMARY KEY (id, at);
-- add primary key m1_pkey on public.m1
ALTER TABLE public.m1 ADD CONSTRAINT m1_pkey PRIMARY KEY (id, at);
-- add primary key m2_pkey on public.m2
ALTER TABLE public.m2 ADD CONSTRAINT m2_pkey PRIMARY KEY (id, at);
-- attach index m1_pkey of public.m1 to index m_pkey of public.m
ALTER INDEX public.m_pkey ATTACH PARTITION public.m1_pkey;
-- attach index m2_pkey of public.m2 to index m_pkey of public.m
ALTER INDEX public.m_pkey ATTACH PARTITION public.m2_pkey;
-- add foreign key m_u_fkey on public.m
ALTER TABLE public.m ADD CONSTRAINT m_u_fkey FOREIGN KEY (u) REFERENCES public.u(id);
-- add foreign key r_id_at_fkey on public.r
ALTER TABLE public.r ADD CONSTRAINT r_id_at_fkey FOREIGN KEY (id, at) REFERENCES public.m(id, at);
COMMIT;
