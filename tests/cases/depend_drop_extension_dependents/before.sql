-- Extensions dropped: the columns of their types, the indexes with their
-- operator classes and the functions calling theirs go before DROP EXTENSION.
CREATE EXTENSION citext;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION btree_gist;
CREATE TABLE users (
  id int PRIMARY KEY,
  email citext NOT NULL,
  name text,
  nicknames citext[],
  during tstzrange
);
CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);
ALTER TABLE users ADD CONSTRAINT users_no_overlap EXCLUDE USING gist (id WITH =, during WITH &&);
CREATE FUNCTION name_similarity(a text, b text) RETURNS real LANGUAGE sql IMMUTABLE RETURN similarity(a, b);
CREATE VIEW user_emails AS SELECT id, email FROM users;
