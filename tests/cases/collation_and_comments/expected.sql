BEGIN;
-- alter column public.t.a type collation default -> "C"
ALTER TABLE public.t ALTER COLUMN a TYPE text COLLATE "C";
-- alter column public.t.b type collation "C" -> default
ALTER TABLE public.t ALTER COLUMN b TYPE text COLLATE "default";
-- alter column public.t.c type collation default -> "POSIX"
ALTER TABLE public.t ALTER COLUMN c TYPE character varying(10) COLLATE "POSIX";
-- remove comment on column public.t.a
COMMENT ON COLUMN public.t.a IS NULL;
-- comment on column public.t.b
COMMENT ON COLUMN public.t.b IS 'now commented';
-- comment on table public.t
COMMENT ON TABLE public.t IS 'new table comment, it''s here';
COMMIT;
