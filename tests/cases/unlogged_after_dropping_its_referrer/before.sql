-- a permanent table goes unlogged while the permanent tables whose foreign keys
-- reference it are dropped (or lose the key): the drops must come first, or
-- PostgreSQL refuses ("references logged table"); the way back makes the table
-- logged before the referencing tables come back
CREATE TABLE public.t0 (id bigint PRIMARY KEY);
CREATE UNLOGGED TABLE public.t1 (id bigint PRIMARY KEY);
CREATE SEQUENCE public.s0;
CREATE TABLE public.t2 (id bigint PRIMARY KEY DEFAULT nextval('public.s0'), c2 bigint REFERENCES public.t0 (id));
ALTER SEQUENCE public.s0 OWNED BY public.t2.id;
CREATE TABLE public.t3 (id bigint PRIMARY KEY, t0_id bigint CONSTRAINT t3_t0 REFERENCES public.t0 (id));
