BEGIN;
-- drop table public.c2 [data loss]
DROP TABLE public.c2;
-- drop table public.c [data loss]
DROP TABLE public.c;
-- drop table public.m1 [data loss]
DROP TABLE public.m1;
-- drop table public.m [data loss]
DROP TABLE public.m;
-- drop table public.p [data loss]
DROP TABLE public.p;
-- create table public.keep
CREATE TABLE public.keep (
    id integer
);
COMMIT;
