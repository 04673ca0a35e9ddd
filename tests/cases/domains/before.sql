CREATE DOMAIN amount AS numeric(12,2) CONSTRAINT amount_positive CHECK (VALUE >= 0);
CREATE DOMAIN code AS text;
CREATE DOMAIN gone AS int;
CREATE TABLE t (a amount, c code);
