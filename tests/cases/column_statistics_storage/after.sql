CREATE TABLE docs (id int PRIMARY KEY, title text, body text, tags text[], score int);
-- statistics target back to the default; another one set, 0 included (no statistics)
ALTER TABLE docs ALTER COLUMN score SET STATISTICS 0;
ALTER TABLE docs ALTER COLUMN id SET STATISTICS 1000;
-- storage back to the type's own (EXTENDED for text, written as such before PostgreSQL 16)
ALTER TABLE docs ALTER COLUMN tags SET STORAGE EXTERNAL;
CREATE TABLE plain_one (id int, payload jsonb);
ALTER TABLE plain_one ALTER COLUMN payload SET STORAGE MAIN;
-- a new table and a new column: set after they are created
CREATE TABLE blobs (id int, data bytea);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL, ALTER COLUMN data SET STATISTICS 50;
ALTER TABLE plain_one ADD COLUMN extra text;
ALTER TABLE plain_one ALTER COLUMN extra SET STORAGE PLAIN;
