-- a label removed: the enum is renamed away, made again and dropped, the cast over it too
CREATE TYPE mood AS ENUM ('green', 'blue');
CREATE CAST (mood AS integer) WITH INOUT AS ASSIGNMENT;
CREATE TABLE t (id int PRIMARY KEY, m mood);
