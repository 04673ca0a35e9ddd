-- A function whose result type changes is dropped and created again: every
-- object calling it goes before the DROP and comes back after the CREATE.
CREATE FUNCTION norm(x int) RETURNS bigint LANGUAGE sql IMMUTABLE RETURN abs(x);
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.n := norm(NEW.n); RETURN NEW; END $$;
CREATE TABLE t (
  id int PRIMARY KEY,
  n int DEFAULT norm(-1),
  m int GENERATED ALWAYS AS (norm(id)) STORED,
  CONSTRAINT t_n_check CHECK (norm(n) < 100)
);
CREATE INDEX t_norm_idx ON t (norm(n));
CREATE TRIGGER t_when BEFORE UPDATE ON t FOR EACH ROW WHEN (norm(NEW.n) > 0) EXECUTE FUNCTION stamp();
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_small ON t USING (norm(n) < 10);
CREATE VIEW t_norms AS SELECT id, norm(n) AS normed FROM t;
CREATE FUNCTION twice_norm(x int) RETURNS int LANGUAGE sql IMMUTABLE RETURN norm(x) * 2;
