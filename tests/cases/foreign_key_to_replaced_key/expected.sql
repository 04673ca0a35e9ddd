BEGIN;
-- drop foreign key b_a_id_fkey on public.b
ALTER TABLE public.b DROP CONSTRAINT b_a_id_fkey;
-- drop primary key a_pkey on public.a
ALTER TABLE public.a DROP CONSTRAINT a_pkey;
-- add primary key a_pkey on public.a
ALTER TABLE public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id) INCLUDE (tenant);
-- add foreign key b_a_id_fkey on public.b
ALTER TABLE public.b ADD CONSTRAINT b_a_id_fkey FOREIGN KEY (a_id) REFERENCES public.a(id);
COMMIT;
