-- Domains in scope, one row per CHECK constraint (or one row with NULL
-- constraint columns for a domain without any).
WITH ns AS (
--@include scope
)
SELECT t.oid, ns.nspname AS schema, t.typname AS name,
       pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base_type,
       t.typnotnull AS not_null,
       coalesce(pg_catalog.pg_get_expr(t.typdefaultbin, 0), t.typdefault) AS "default",
       CASE WHEN t.typcollation <> bt.typcollation THEN
         CASE WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
              ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END
       END AS "collation",
       c.oid AS check_oid, c.conname AS check_name,
       -- NULL rather than an error for a domain dropped since the snapshot
       CASE WHEN pg_catalog.has_type_privilege(t.oid, 'USAGE') IS NOT NULL
            THEN pg_catalog.pg_get_constraintdef(c.oid) END AS check_definition,
       c.convalidated AS check_validated,
       d.description AS comment
FROM pg_catalog.pg_type t
JOIN ns ON ns.oid = t.typnamespace
JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
-- CHECK only: PostgreSQL 17 also keeps a domain's NOT NULL here (contype 'n')
LEFT JOIN pg_catalog.pg_constraint c ON c.contypid = t.oid AND c.contype = 'c'
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objsubid = 0
WHERE t.typtype = 'd'
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND x.objid = t.oid AND x.deptype = 'e')
