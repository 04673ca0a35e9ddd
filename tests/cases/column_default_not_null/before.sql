CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' $$;
CREATE TABLE t (a int, b text DEFAULT 'x', c int NOT NULL, d text DEFAULT next_code());
INSERT INTO t VALUES (1, 'y', 2);
