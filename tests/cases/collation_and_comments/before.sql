CREATE TABLE t (a text, b text COLLATE "C", c varchar(10));
COMMENT ON TABLE t IS 'old table comment';
COMMENT ON COLUMN t.a IS 'old';
