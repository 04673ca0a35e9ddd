-- PostgreSQL 18 names NOT NULL constraints. RENAME CONSTRAINT on a parent renames its
-- partitions' and children's inherited one of the same name, fails on one named
-- otherwise, and an inherited one cannot be renamed by itself: a partition named
-- otherwise is detached around the rename and attached again.
CREATE TABLE p (id int, a int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (id);
CREATE TABLE p1a PARTITION OF p1 FOR VALUES FROM (0) TO (5);
-- attached with a NOT NULL of its own name, which it keeps
CREATE TABLE p2 (id int, a int CONSTRAINT p2_own_nn NOT NULL);
ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20);
INSERT INTO p VALUES (1, 1), (11, 11);
-- the parent keeps its name, a partition's inherited one is renamed
CREATE TABLE r (id int, a int NOT NULL) PARTITION BY LIST (id);
CREATE TABLE r1 (id int, a int CONSTRAINT r1_nn NOT NULL);
ALTER TABLE r ATTACH PARTITION r1 FOR VALUES IN (1);
-- inheritance: the children's go with the parent's
CREATE TABLE q (id int, a int NOT NULL);
CREATE TABLE q1 () INHERITS (q);
