CREATE UNLOGGED TABLE public.accounts (id integer PRIMARY KEY);
CREATE UNLOGGED TABLE public.orders (id integer PRIMARY KEY, account_id integer REFERENCES public.accounts (id));
CREATE UNLOGGED TABLE public.lines (id integer PRIMARY KEY, order_id integer REFERENCES public.orders (id));
