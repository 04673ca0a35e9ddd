CREATE TYPE mood AS ENUM ('red', 'green', 'blue');
CREATE CAST (mood AS integer) WITH INOUT AS ASSIGNMENT;
CREATE TABLE t (id int PRIMARY KEY, m mood);
INSERT INTO t VALUES (1, 'blue');
