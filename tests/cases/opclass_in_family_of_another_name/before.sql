CREATE TABLE public.places (id integer, at point);
