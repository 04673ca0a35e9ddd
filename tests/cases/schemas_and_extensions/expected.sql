BEGIN;
-- drop table gone.t [data loss]
DROP TABLE gone.t;
-- drop schema gone
DROP SCHEMA gone;
-- create schema app
CREATE SCHEMA app;
-- create extension citext
CREATE EXTENSION citext WITH SCHEMA public;
-- create enum app.kind
CREATE TYPE app.kind AS ENUM ('a', 'b');
-- create table app.users
CREATE TABLE app.users (
    id integer NOT NULL,
    email public.citext,
    kind app.kind
);
-- create table kept.refs
CREATE TABLE kept.refs (
    user_id integer
);
-- add primary key users_pkey on app.users
ALTER TABLE app.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
-- add foreign key refs_user_id_fkey on kept.refs
ALTER TABLE kept.refs ADD CONSTRAINT refs_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id);
-- comment on schema kept
COMMENT ON SCHEMA kept IS 'kept';
COMMIT;
