-- p_0 moves to another bound: detached first, the parent's column changes miss it and are
-- made on it too before it is attached again; p_1 stays and gets them from its parent
CREATE TABLE p (id integer NOT NULL, k integer NOT NULL, v0 text, v2 integer) PARTITION BY RANGE (k);
CREATE TABLE p_0 PARTITION OF p DEFAULT;
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (10) TO (20);
