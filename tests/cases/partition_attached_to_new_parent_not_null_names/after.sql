-- PostgreSQL 18: the table attached takes its parent's NOT NULL names (p_id_not_null), and
-- is renamed to them before the parent is made again: the parent names its own explicitly
-- (PostgreSQL would pick p_id_not_null1, unique in the schema)
CREATE TABLE p (id integer NOT NULL, k integer NOT NULL, v text) PARTITION BY LIST (k);
CREATE TABLE p_0 PARTITION OF p FOR VALUES IN (1, 2);
