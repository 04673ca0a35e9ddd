CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'unused');
CREATE TABLE t (id int PRIMARY KEY, m mood DEFAULT 'ok', ms mood[], CONSTRAINT t_m_check CHECK (m <> 'sad'));
CREATE INDEX t_happy_idx ON t (id) WHERE m = 'happy';
CREATE VIEW happy AS SELECT id, m FROM t WHERE m = 'happy';
INSERT INTO t VALUES (1, 'ok', '{happy,ok}'), (2, 'happy', NULL);
