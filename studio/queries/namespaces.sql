WITH ns AS (
--@include scope
)
SELECT ns.nspname AS name, d.description AS comment
FROM ns
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = ns.oid AND d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objsubid = 0
