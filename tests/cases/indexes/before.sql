CREATE TABLE t (id int PRIMARY KEY, a int, b text, c jsonb, d timestamptz);
CREATE INDEX t_a_idx ON t (a);
CREATE INDEX t_b_idx ON t (b);
CREATE INDEX t_gone_idx ON t (d);
CREATE UNIQUE INDEX t_b_lower_idx ON t (lower(b));
