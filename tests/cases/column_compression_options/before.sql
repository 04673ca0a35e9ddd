CREATE TABLE pages (id int, html text, meta jsonb, kind text);
ALTER TABLE pages ALTER COLUMN html SET COMPRESSION pglz;
ALTER TABLE pages ALTER COLUMN kind SET (n_distinct = 5);
ALTER TABLE pages ALTER COLUMN id SET (n_distinct = -1, n_distinct_inherited = -1);
