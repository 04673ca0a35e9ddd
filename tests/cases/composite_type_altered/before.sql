CREATE TYPE public.address AS (street text, city text, zip integer);
CREATE TYPE public.gone AS (a integer);
CREATE TYPE public.unused AS (a integer, b integer);
CREATE TABLE public.customers (id integer PRIMARY KEY, home public.address);
INSERT INTO public.customers VALUES (1, ROW('Main St', 'Springfield', 12345));
