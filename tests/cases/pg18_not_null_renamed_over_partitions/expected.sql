BEGIN;
-- detach partition public.p2 from public.p
ALTER TABLE public.p DETACH PARTITION public.p2;
-- detach partition public.r1 from public.r
ALTER TABLE public.r DETACH PARTITION public.r1;
-- rename constraint p_a_not_null on public.p to a_required
ALTER TABLE public.p RENAME CONSTRAINT p_a_not_null TO a_required;
-- rename constraint q_a_not_null on public.q to q_a_required
ALTER TABLE public.q RENAME CONSTRAINT q_a_not_null TO q_a_required;
-- rename constraint r1_nn on public.r1 to r1_a_required
ALTER TABLE public.r1 RENAME CONSTRAINT r1_nn TO r1_a_required;
-- attach partition public.p2 to public.p
ALTER TABLE public.p ATTACH PARTITION public.p2 FOR VALUES FROM (10) TO (20);
-- attach partition public.r1 to public.r
ALTER TABLE public.r ATTACH PARTITION public.r1 FOR VALUES IN (1);
COMMIT;
