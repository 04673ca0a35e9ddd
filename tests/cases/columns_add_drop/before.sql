CREATE TABLE t (id int PRIMARY KEY, legacy text, gone_gen int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO t (id, legacy) VALUES (1, 'x');
