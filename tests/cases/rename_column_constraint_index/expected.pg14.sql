BEGIN;
-- rename column public.t.code to sku
ALTER TABLE public.t RENAME COLUMN code TO sku;
-- rename column public.t.id to ident
ALTER TABLE public.t RENAME COLUMN id TO ident;
-- rename constraint t_pkey on public.t to t_pk
ALTER TABLE public.t RENAME CONSTRAINT t_pkey TO t_pk;
-- rename index t_code_idx on public.t to t_sku_idx
ALTER INDEX public.t_code_idx RENAME TO t_sku_idx;
COMMIT;
