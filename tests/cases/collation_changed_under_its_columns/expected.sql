BEGIN;
-- drop view public.p1_names
DROP VIEW public.p1_names;
-- drop view public.t_names
DROP VIEW public.t_names;
-- drop check u_name_check on public.u
ALTER TABLE public.u DROP CONSTRAINT u_name_check;
-- drop index t_c on public.t
DROP INDEX public.t_c;
-- drop index t_id_text on public.t
DROP INDEX public.t_id_text;
-- recreate collation public.coll (6 columns moved to it)
ALTER COLLATION public.coll RENAME TO coll__old;
CREATE COLLATION public.coll (provider = libc, lc_collate = 'POSIX', lc_ctype = 'POSIX');
ALTER TABLE public.p ALTER COLUMN name TYPE text COLLATE public.coll;
ALTER TABLE public.t ALTER COLUMN c TYPE text COLLATE public.coll, ALTER COLUMN tags TYPE text[] COLLATE public.coll, ALTER COLUMN v TYPE character varying(20) COLLATE public.coll;
ALTER TABLE public.u ALTER COLUMN name TYPE text COLLATE public.coll;
ALTER TABLE public.w ALTER COLUMN note TYPE text COLLATE public.coll;
ALTER TABLE ONLY public.p1 ALTER COLUMN name SET STORAGE MAIN;
ALTER TABLE ONLY public.u ALTER COLUMN name SET STORAGE EXTERNAL;
ALTER TABLE ONLY public.u ALTER COLUMN name SET COMPRESSION pglz;
DROP COLLATION public.coll__old;
-- alter column public.w.note type text -> character varying(50) [data loss]
ALTER TABLE public.w ALTER COLUMN note TYPE character varying(50) COLLATE public.coll USING note::character varying(50);
-- add check u_name_check on public.u
ALTER TABLE public.u ADD CONSTRAINT u_name_check CHECK ((name > ('a'::text COLLATE public.coll)));
-- create index t_c on public.t
CREATE INDEX t_c ON public.t USING btree (c);
-- create index t_id_text on public.t
CREATE INDEX t_id_text ON public.t USING btree (((id)::text) COLLATE public.coll);
-- create view public.p1_names
CREATE VIEW public.p1_names AS
SELECT name
   FROM public.p1;
-- create view public.t_names
CREATE VIEW public.t_names AS
SELECT id,
    c
   FROM public.t;
COMMIT;
