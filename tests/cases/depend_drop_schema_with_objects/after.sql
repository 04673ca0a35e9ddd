-- A schema dropped with everything in it: its objects go first, what other
-- schemas hold that uses them before those.
CREATE TABLE public.customers (id int PRIMARY KEY);
