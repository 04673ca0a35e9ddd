CREATE COLLATION public.coll (provider = libc, locale = 'POSIX');
CREATE TABLE public.t (
    id integer PRIMARY KEY,
    c text COLLATE public.coll,
    v character varying(20) COLLATE public.coll NOT NULL DEFAULT 'x',
    tags text[] COLLATE public.coll
);
CREATE INDEX t_c ON public.t (c);
CREATE TABLE public.u (id integer PRIMARY KEY, name text COLLATE public.coll);
CREATE VIEW public.t_names AS SELECT id, c FROM public.t;
-- what names the collation itself: an expression index, a check
CREATE INDEX t_id_text ON public.t (((id)::text) COLLATE public.coll);
ALTER TABLE public.u ADD CONSTRAINT u_name_check CHECK (name > ('a' COLLATE public.coll));
-- a partitioned table: the parent's ALTER moves its partitions' columns too
CREATE TABLE public.p (id integer NOT NULL, name text COLLATE public.coll) PARTITION BY RANGE (id);
CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (100);
CREATE TABLE public.w (id integer PRIMARY KEY, note character varying(50) COLLATE public.coll);
-- storage and compression, which ALTER COLUMN TYPE resets, here and in a partition
ALTER TABLE public.u ALTER COLUMN name SET STORAGE EXTERNAL;
ALTER TABLE public.u ALTER COLUMN name SET COMPRESSION pglz;
ALTER TABLE ONLY public.p1 ALTER COLUMN name SET STORAGE MAIN;
-- a view over a partition's column, which the parent's ALTER moves
CREATE VIEW public.p1_names AS SELECT name FROM public.p1;
