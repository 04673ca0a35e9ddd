CREATE TABLE t (id int PRIMARY KEY, a int, b text, c jsonb, d timestamptz);
CREATE INDEX t_a_idx ON t (a) WHERE a > 0;
CREATE INDEX t_b_idx ON t (b);
CREATE UNIQUE INDEX t_b_lower_idx ON t (lower(b));
CREATE INDEX t_multi_idx ON t (a DESC, b NULLS FIRST) INCLUDE (d);
CREATE INDEX t_c_idx ON t USING gin (c jsonb_path_ops);
COMMENT ON INDEX t_b_idx IS 'by b';
