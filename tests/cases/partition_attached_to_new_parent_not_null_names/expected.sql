BEGIN;
-- drop table public.p to create it again partitioned by LIST (k) instead of RANGE (k) (its rows are not carried over) [data loss]
DROP TABLE public.p;
-- rename constraint p_0_id_not_null on public.p_0 to p_id_not_null
ALTER TABLE public.p_0 RENAME CONSTRAINT p_0_id_not_null TO p_id_not_null;
-- rename constraint p_0_k_not_null on public.p_0 to p_k_not_null
ALTER TABLE public.p_0 RENAME CONSTRAINT p_0_k_not_null TO p_k_not_null;
-- create table public.p
CREATE TABLE public.p (
    id integer CONSTRAINT p_id_not_null NOT NULL,
    k integer CONSTRAINT p_k_not_null NOT NULL,
    v text
) PARTITION BY LIST (k);
-- attach partition public.p_0 to public.p
ALTER TABLE public.p ATTACH PARTITION public.p_0 FOR VALUES IN (1, 2);
COMMIT;
