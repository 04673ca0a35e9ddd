BEGIN;
-- drop statistics public.t_ab
DROP STATISTICS public.t_ab;
-- drop column public.t.b
ALTER TABLE public.t DROP COLUMN b;
-- add column public.t.b integer
ALTER TABLE public.t ADD COLUMN b integer GENERATED ALWAYS AS ((a * 3)) STORED;
-- create statistics public.t_ab
CREATE STATISTICS public.t_ab ON a, b FROM public.t;
COMMIT;
