BEGIN;
-- drop table public.events_2024_a [data loss]
DROP TABLE public.events_2024_a;
-- drop table public.events_2024_rest [data loss]
DROP TABLE public.events_2024_rest;
-- drop table public.events_2024 [data loss]
DROP TABLE public.events_2024;
-- drop table public.events_2025 [data loss]
DROP TABLE public.events_2025;
-- drop table public.events [data loss]
DROP TABLE public.events;
-- drop table public.puppies [data loss]
DROP TABLE public.puppies;
-- drop table public.dogs [data loss]
DROP TABLE public.dogs;
-- drop table public.animals [data loss]
DROP TABLE public.animals;
-- drop function public.today_utc()
DROP FUNCTION public.today_utc();
-- drop function public.touch()
DROP FUNCTION public.touch();
COMMIT;
