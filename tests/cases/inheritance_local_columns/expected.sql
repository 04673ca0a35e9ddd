BEGIN;
-- create table public.keeps_default
CREATE TABLE public.keeps_default () INHERITS (public.keeps);
ALTER TABLE ONLY public.keeps_default ALTER COLUMN a SET DEFAULT 3;
-- create table public.keeps_nn
CREATE TABLE public.keeps_nn () INHERITS (public.keeps);
ALTER TABLE public.keeps_nn ALTER COLUMN a SET NOT NULL;
-- create table public.keeps_nn_own
CREATE TABLE public.keeps_nn_own (
    a integer NOT NULL
) INHERITS (public.keeps);
-- create table public.keeps_own
CREATE TABLE public.keeps_own (
    a integer,
    b text
) INHERITS (public.keeps);
-- add column public.gains_own.x integer
ALTER TABLE public.gains_own ADD COLUMN x integer;
-- add column public.gains.x integer
ALTER TABLE public.gains ADD COLUMN x integer;
COMMIT;
