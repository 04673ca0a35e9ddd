CREATE TABLE t (ident int CONSTRAINT t_pk PRIMARY KEY, sku text, CONSTRAINT t_code_check CHECK (sku <> ''));
CREATE TABLE r (t_id int REFERENCES t (ident));
CREATE INDEX t_sku_idx ON t (lower(sku));
CREATE VIEW codes AS SELECT ident AS id, sku AS code FROM t;
