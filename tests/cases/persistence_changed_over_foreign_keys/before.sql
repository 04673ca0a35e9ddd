-- three tables a foreign key chain joins, all permanent: they go unlogged together
-- (the referencing side first), and the way back goes logged referenced side first
CREATE TABLE public.accounts (id integer PRIMARY KEY);
CREATE TABLE public.orders (id integer PRIMARY KEY, account_id integer REFERENCES public.accounts (id));
CREATE TABLE public.lines (id integer PRIMARY KEY, order_id integer REFERENCES public.orders (id));
