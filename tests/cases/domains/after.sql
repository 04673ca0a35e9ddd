CREATE DOMAIN amount AS numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT amount_cap CHECK (VALUE < 1000000);
CREATE DOMAIN code AS text CONSTRAINT code_format CHECK (VALUE ~ '^[A-Z]+$');
ALTER DOMAIN code ADD CONSTRAINT code_length CHECK (length(VALUE) < 10) NOT VALID;
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE t (a amount, c code, e email);
