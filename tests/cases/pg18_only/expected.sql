BEGIN;
-- rename constraint t_body_not_null on public.t to t_body_required
ALTER TABLE public.t RENAME CONSTRAINT t_body_not_null TO t_body_required;
-- create table public.u
CREATE TABLE public.u (
    id integer,
    n integer CONSTRAINT u_n_nn NOT NULL
);
ALTER TABLE public.u ADD CONSTRAINT u_id_nn NOT NULL id NOT VALID;
-- add column public.t.cents bigint
ALTER TABLE public.t ADD COLUMN cents bigint GENERATED ALWAYS AS (((price * (100)::numeric))::bigint) VIRTUAL;
-- set not null on public.t.rating
ALTER TABLE public.t ADD CONSTRAINT t_rating_nn NOT NULL rating NOT VALID;
COMMIT;
