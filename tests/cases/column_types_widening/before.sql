CREATE TABLE t (a varchar(50), b int, c varchar(20), d numeric(10,2), e smallint[], f real);
INSERT INTO t VALUES ('a', 1, 'c', 1.5, '{1}', 1.5);
