BEGIN;
-- detach partition public.m1 from public.m
ALTER TABLE public.m DETACH PARTITION public.m1;
-- drop table public.m to create it again partitioned by LIST (k) instead of RANGE (at) (its rows are not carried over) [data loss]
DROP TABLE public.m;
-- drop table public.part_1 [data loss]
DROP TABLE public.part_1;
-- drop table public.part to create it again as a plain table (its rows are not carried over) [data loss]
DROP TABLE public.part;
-- drop table public.plain to create it again partitioned by RANGE (at) (its rows are not carried over) [data loss]
DROP TABLE public.plain;
-- create table public.m
CREATE TABLE public.m (
    id integer CONSTRAINT m_id_not_null NOT NULL,
    at date CONSTRAINT m_at_not_null NOT NULL,
    k integer
) PARTITION BY LIST (k);
-- create table public.part
CREATE TABLE public.part (
    id integer NOT NULL,
    at date NOT NULL
);
-- create table public.plain
CREATE TABLE public.plain (
    id integer NOT NULL,
    at date NOT NULL
) PARTITION BY RANGE (at);
-- create table public.plain_2020, to be attached to public.plain
CREATE TABLE public.plain_2020 (
    id integer CONSTRAINT plain_id_not_null NOT NULL,
    at date CONSTRAINT plain_at_not_null NOT NULL
);
-- attach partition public.m1 to public.m
ALTER TABLE public.m ATTACH PARTITION public.m1 FOR VALUES IN (1, 2);
-- attach partition public.plain_2020 to public.plain
ALTER TABLE public.plain ATTACH PARTITION public.plain_2020 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
-- add primary key plain_pkey on public.plain
ALTER TABLE ONLY public.plain ADD CONSTRAINT plain_pkey PRIMARY KEY (id, at);
-- add primary key plain_2020_pkey on public.plain_2020
ALTER TABLE public.plain_2020 ADD CONSTRAINT plain_2020_pkey PRIMARY KEY (id, at);
-- attach index plain_2020_pkey of public.plain_2020 to index plain_pkey of public.plain
ALTER INDEX public.plain_pkey ATTACH PARTITION public.plain_2020_pkey;
COMMIT;
