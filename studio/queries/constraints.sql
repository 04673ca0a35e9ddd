-- Primary key, unique, foreign key, check and exclusion constraints of the
-- tables in scope. Left out: NOT NULL (on the column), constraint triggers,
-- and what a partition or child inherits (conparentid, conislocal), which
-- comes with the parent's.
WITH ns AS (
--@include scope
), rel AS (
--@include relations
)
SELECT con.conrelid AS table_oid, con.conname AS name, con.contype::text AS kind,
       pg_catalog.pg_get_constraintdef(con.oid) AS definition,
       ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.ord) AS columns,
       con.convalidated AS validated, con.condeferrable AS deferrable,
       con.condeferred AS deferred, con.connoinherit AS no_inherit,
       rn.nspname AS ref_schema, r.relname AS ref_table,
       ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.ord) AS ref_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
       con.confmatchtype::text AS match,
       CASE WHEN con.contype IN ('p', 'u', 'x') THEN i.relname END AS index,
       d.description AS comment
FROM pg_catalog.pg_constraint con
JOIN rel ON rel.oid = con.conrelid AND rel.relkind IN ('r', 'p')
LEFT JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_catalog.pg_class i ON i.oid = con.conindid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = con.oid AND d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND con.conparentid = 0
  AND con.conislocal
