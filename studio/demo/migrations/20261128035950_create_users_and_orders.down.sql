-- create users and orders (down)
-- version: 20261128035950
-- tool: schema-studio 0.1.0
-- schema-before: 0022a32fc32ce368
-- schema-after: 6ea1d8d5f301fc4a

-- schema-studio:step
-- drop foreign key orders_user_id_fkey on public.orders
ALTER TABLE public.orders DROP CONSTRAINT orders_user_id_fkey;

-- schema-studio:step
-- drop primary key users_pkey on public.users
ALTER TABLE public.users DROP CONSTRAINT users_pkey;

-- schema-studio:step
-- drop unique users_email_key on public.users
ALTER TABLE public.users DROP CONSTRAINT users_email_key;

-- schema-studio:step
-- drop primary key orders_pkey on public.orders
ALTER TABLE public.orders DROP CONSTRAINT orders_pkey;

-- schema-studio:step
-- make sequence public.users_id_seq owned by none
ALTER SEQUENCE public.users_id_seq OWNED BY NONE;

-- schema-studio:step
-- make sequence public.orders_id_seq owned by none
ALTER SEQUENCE public.orders_id_seq OWNED BY NONE;

-- schema-studio:step
-- drop table public.users
DROP TABLE public.users;

-- schema-studio:step
-- drop table public.orders
DROP TABLE public.orders;

-- schema-studio:step
-- drop sequence public.users_id_seq
DROP SEQUENCE public.users_id_seq;

-- schema-studio:step
-- drop sequence public.orders_id_seq
DROP SEQUENCE public.orders_id_seq;
