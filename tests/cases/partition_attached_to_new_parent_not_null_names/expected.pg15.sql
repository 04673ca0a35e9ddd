BEGIN;
-- drop table public.p to create it again partitioned by LIST (k) instead of RANGE (k) (its rows are not carried over) [data loss]
DROP TABLE public.p;
-- create table public.p
CREATE TABLE public.p (
    id integer NOT NULL,
    k integer NOT NULL,
    v text
) PARTITION BY LIST (k);
-- attach partition public.p_0 to public.p
ALTER TABLE public.p ATTACH PARTITION public.p_0 FOR VALUES IN (1, 2);
COMMIT;
