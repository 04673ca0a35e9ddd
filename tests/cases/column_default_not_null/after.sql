CREATE FUNCTION new_code() RETURNS text LANGUAGE sql AS $$ SELECT 'n' $$;
CREATE TABLE t (a int NOT NULL DEFAULT 5, b text, c int, d text DEFAULT new_code());
