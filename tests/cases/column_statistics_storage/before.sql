CREATE TABLE docs (id int PRIMARY KEY, title text, body text, tags text[], score int);
ALTER TABLE docs ALTER COLUMN title SET STATISTICS 500;
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE docs ALTER COLUMN tags SET STORAGE MAIN;
CREATE TABLE plain_one (id int, payload jsonb);
