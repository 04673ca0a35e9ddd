BEGIN;
-- rename table public.moved to other.moved
ALTER TABLE public.moved SET SCHEMA other;
-- alter identity of other.moved.id (moves its sequence's current value into the new bounds)
SELECT pg_catalog.setval('other.moved_ids', 10, true) FROM other.moved_ids WHERE last_value > 10;
ALTER TABLE other.moved ALTER COLUMN id SET MAXVALUE 10;
-- alter identity of public.flipped.id (restarts its sequence)
ALTER TABLE public.flipped ALTER COLUMN id SET INCREMENT BY -1 SET MINVALUE -2147483648 SET MAXVALUE -1 SET START WITH -1 RESTART;
-- alter identity of public.lowered_max.id (moves its sequence's current value into the new bounds)
SELECT pg_catalog.setval('public.lowered_max_id_seq', 20, true) FROM public.lowered_max_id_seq WHERE last_value > 20;
ALTER TABLE public.lowered_max ALTER COLUMN id SET MAXVALUE 20;
-- alter identity of public.moved_range.id (moves its sequence's current value into the new bounds)
ALTER TABLE public.moved_range ALTER COLUMN id SET MINVALUE 1 SET MAXVALUE 300;
SELECT pg_catalog.setval('public.moved_range_id_seq', 200, false) FROM public.moved_range_id_seq WHERE last_value < 200;
ALTER TABLE public.moved_range ALTER COLUMN id SET MINVALUE 200 SET MAXVALUE 300 SET START WITH 200;
-- alter identity of public.raised_min.id (moves its sequence's current value into the new bounds)
SELECT pg_catalog.setval('public.raised_min_id_seq', 100, false) FROM public.raised_min_id_seq WHERE last_value < 100;
ALTER TABLE public.raised_min ALTER COLUMN id SET MINVALUE 100 SET START WITH 100;
COMMIT;
