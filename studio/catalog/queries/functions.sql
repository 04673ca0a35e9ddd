-- Functions, procedures and window functions in scope (aggregates have their
-- own query: pg_get_functiondef rejects them); not those an extension owns, nor
-- those PostgreSQL made for a type (deptype 'i': a range type's constructors).
WITH ns AS (
--@include scope
)
SELECT p.oid, ns.nspname AS schema, p.proname AS name,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS arguments,
       p.prokind::text AS kind,
       pg_catalog.pg_get_functiondef(p.oid) AS definition,
       CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END AS returns,
       l.lanname AS language,
       d.description AS comment
FROM pg_catalog.pg_proc p
JOIN ns ON ns.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0
WHERE p.prokind IN ('f', 'p', 'w')
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND x.objid = p.oid AND x.deptype IN ('e', 'i'))
