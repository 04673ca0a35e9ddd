-- Extensions created before what uses them: a domain over their type,
-- columns of it, an index with their operator class, an exclusion constraint
-- through btree_gist, functions calling theirs.
CREATE SCHEMA ext;
CREATE EXTENSION citext SCHEMA ext;
CREATE EXTENSION pg_trgm SCHEMA ext;
CREATE EXTENSION btree_gist SCHEMA ext;
CREATE DOMAIN email AS ext.citext CHECK (VALUE LIKE '%@%');
CREATE TABLE people (id int PRIMARY KEY, email email NOT NULL, name text, aliases ext.citext[], active tstzrange);
CREATE INDEX people_name_trgm ON people USING gist (name ext.gist_trgm_ops);
ALTER TABLE people ADD CONSTRAINT people_one_active EXCLUDE USING gist (id WITH =, active WITH &&);
CREATE FUNCTION name_like(a text, b text) RETURNS real LANGUAGE sql IMMUTABLE RETURN ext.similarity(a, b);
