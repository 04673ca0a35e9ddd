CREATE TABLE t (id int PRIMARY KEY, code text, CONSTRAINT t_code_check CHECK (code <> ''));
CREATE TABLE r (t_id int REFERENCES t (id));
CREATE INDEX t_code_idx ON t (lower(code));
CREATE VIEW codes AS SELECT id, code FROM t;
INSERT INTO t VALUES (1, 'a');
