BEGIN;
-- create sequence public.orders_id_seq
CREATE SEQUENCE public.orders_id_seq AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1 NO CYCLE;
-- create sequence public.users_id_seq
CREATE SEQUENCE public.users_id_seq AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1 NO CYCLE;
-- create table public.orders
CREATE TABLE public.orders (
    id integer DEFAULT nextval('public.orders_id_seq'::regclass) NOT NULL,
    user_id integer NOT NULL,
    total integer NOT NULL,
    status character varying(50) DEFAULT 'pending'::character varying,
    created_at timestamp without time zone DEFAULT now() NOT NULL
);
-- create table public.users
CREATE TABLE public.users (
    id integer DEFAULT nextval('public.users_id_seq'::regclass) NOT NULL,
    email character varying(255) NOT NULL,
    name character varying(255),
    created_at timestamp without time zone DEFAULT now() NOT NULL
);
-- make sequence public.orders_id_seq owned by public.orders.id
ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;
-- make sequence public.users_id_seq owned by public.users.id
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
-- add primary key orders_pkey on public.orders
ALTER TABLE public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
-- add unique users_email_key on public.users
ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email);
-- add primary key users_pkey on public.users
ALTER TABLE public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
-- add foreign key orders_user_id_fkey on public.orders
ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);
COMMIT;
