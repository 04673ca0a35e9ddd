CREATE TABLE pages (id int, html text, meta jsonb, kind text);
-- compression back to default_toast_compression, another one set
ALTER TABLE pages ALTER COLUMN meta SET COMPRESSION pglz;
-- attribute options: one changed, one reset, one kept
ALTER TABLE pages ALTER COLUMN kind SET (n_distinct = 12);
ALTER TABLE pages ALTER COLUMN id SET (n_distinct = -1);
ALTER TABLE pages ALTER COLUMN html SET (n_distinct_inherited = 0.5);
CREATE TABLE notes (id int, body text COMPRESSION pglz);
ALTER TABLE notes ALTER COLUMN id SET (n_distinct = -0.5);
