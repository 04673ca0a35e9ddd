CREATE TABLE t (id int PRIMARY KEY);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION label(x int) RETURNS varchar LANGUAGE sql IMMUTABLE AS $$ SELECT x::varchar $$;
CREATE FUNCTION seed() RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;
CREATE TRIGGER t_f BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();
CREATE VIEW labels AS SELECT label(id) AS l FROM t;
CREATE TABLE u (
  id int PRIMARY KEY,
  n int DEFAULT seed(),
  CONSTRAINT u_label_check CHECK (label(id) <> '')
);
CREATE INDEX u_label_idx ON u (label(id));
