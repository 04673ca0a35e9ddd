CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');
CREATE TABLE t (id int PRIMARY KEY, m mood DEFAULT 'ok', ms mood[], CONSTRAINT t_m_check CHECK (m <> 'sad'));
CREATE INDEX t_happy_idx ON t (id) WHERE m = 'happy';
CREATE VIEW happy AS SELECT id, m FROM t WHERE m = 'happy';
