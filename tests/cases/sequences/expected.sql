BEGIN;
-- drop sequence public.gone
DROP SEQUENCE public.gone;
-- create sequence public.s3
CREATE SEQUENCE public.s3 AS bigint INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 100 CACHE 1 NO CYCLE;
-- alter sequence public.s1 (restarts it)
ALTER SEQUENCE public.s1 AS smallint INCREMENT BY -1 MINVALUE -32768 MAXVALUE -1 START WITH -1 RESTART;
-- alter sequence public.s2 (moves its current value into the new bounds)
SELECT pg_catalog.setval('public.s2', 500, true) FROM public.s2 WHERE last_value > 500;
ALTER SEQUENCE public.s2 AS bigint MINVALUE -10 MAXVALUE 500 START WITH 1 CACHE 1 CYCLE;
-- set default of public.t.other to nextval('public.s3'::regclass)
ALTER TABLE public.t ALTER COLUMN other SET DEFAULT nextval('public.s3'::regclass);
-- make sequence public.owned owned by public.t.other
ALTER SEQUENCE public.owned OWNED BY public.t.other;
-- comment on sequence public.s3
COMMENT ON SEQUENCE public.s3 IS 'third';
COMMIT;
