CREATE SCHEMA kept;
COMMENT ON SCHEMA kept IS 'kept';
CREATE SCHEMA app;
CREATE EXTENSION citext WITH SCHEMA public;
CREATE TYPE app.kind AS ENUM ('a', 'b');
CREATE TABLE app.users (id int PRIMARY KEY, email public.citext, kind app.kind);
CREATE TABLE kept.refs (user_id int REFERENCES app.users);
