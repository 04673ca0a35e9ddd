-- The owner of every schema, relation, enum/domain and routine in scope.
WITH ns AS (
--@include scope
)
SELECT 'schema' AS kind, ns.nspname AS schema, NULL::name AS name, NULL::text AS arguments,
       pg_catalog.pg_get_userbyid(n.nspowner) AS owner
FROM ns JOIN pg_catalog.pg_namespace n ON n.oid = ns.oid
UNION ALL
SELECT 'relation', ns.nspname, c.relname, NULL, pg_catalog.pg_get_userbyid(c.relowner)
FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
  -- an identity sequence belongs to its column
  AND NOT (c.relkind = 'S' AND EXISTS (
    SELECT FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i'))
UNION ALL
SELECT 'type', ns.nspname, t.typname, NULL, pg_catalog.pg_get_userbyid(t.typowner)
FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd')
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT 'function', ns.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
       pg_catalog.pg_get_userbyid(p.proowner)
FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e')
