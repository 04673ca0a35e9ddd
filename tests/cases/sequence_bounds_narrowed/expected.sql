BEGIN;
-- alter sequence public.down (moves its current value into the new bounds)
SELECT pg_catalog.setval('public.down', -1000, true) FROM public.down WHERE last_value < -1000;
SELECT pg_catalog.setval('public.down', -100, false) FROM public.down WHERE last_value > -100;
ALTER SEQUENCE public.down MINVALUE -1000 MAXVALUE -100 START WITH -100;
-- alter sequence public.lowered_max (moves its current value into the new bounds)
SELECT pg_catalog.setval('public.lowered_max', 20, true) FROM public.lowered_max WHERE last_value > 20;
ALTER SEQUENCE public.lowered_max MAXVALUE 20;
-- alter sequence public.moved_range (moves its current value into the new bounds)
ALTER SEQUENCE public.moved_range AS integer MINVALUE 1 MAXVALUE 300;
SELECT pg_catalog.setval('public.moved_range', 200, false) FROM public.moved_range WHERE last_value < 200;
ALTER SEQUENCE public.moved_range MINVALUE 200 MAXVALUE 300 START WITH 200;
-- alter sequence public.raised_min (moves its current value into the new bounds)
SELECT pg_catalog.setval('public.raised_min', 100, false) FROM public.raised_min WHERE last_value < 100;
ALTER SEQUENCE public.raised_min MINVALUE 100 START WITH 100;
-- alter sequence public.untouched (moves its current value into the new bounds)
SELECT pg_catalog.setval('public.untouched', 400, true) FROM public.untouched WHERE last_value > 400;
ALTER SEQUENCE public.untouched MAXVALUE 400;
COMMIT;
