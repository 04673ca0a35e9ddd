BEGIN;
-- create table public.fresh
CREATE TABLE public.fresh (
    id integer
) USING heap2 WITH (fillfactor=70);
-- set access method of public.back to heap (rewrites it)
ALTER TABLE public.back SET ACCESS METHOD heap;
-- set access method of public.moved to heap2 (rewrites it)
ALTER TABLE public.moved SET ACCESS METHOD heap2;
COMMIT;
