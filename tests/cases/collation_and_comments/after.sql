CREATE TABLE t (a text COLLATE "C", b text, c varchar(10) COLLATE "POSIX");
COMMENT ON TABLE t IS 'new table comment, it''s here';
COMMENT ON COLUMN t.b IS 'now commented';
