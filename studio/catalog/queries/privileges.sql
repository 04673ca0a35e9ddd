-- Explicitly granted privileges (aclexplode of a non-NULL ACL; NULL means the
-- built-in defaults) on schemas, relations, columns and routines in scope.
-- An ACL that holds exactly its kind's defaults (acldefault) reads as NULL
-- too, as pg_dump reads it: GRANT ... TO PUBLIC after a REVOKE gives back the
-- defaults, written out.
WITH ns AS (
--@include scope
), rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, ns.nspname
  FROM pg_catalog.pg_class c
  JOIN ns ON ns.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
    AND NOT EXISTS (
      SELECT FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
), acl AS (
  SELECT 'schema' AS kind, ns.nspname AS schema, NULL::name AS name, NULL::text AS arguments,
         NULL::name AS column, x.grantee, x.privilege_type, x.is_grantable
  FROM ns JOIN pg_catalog.pg_namespace n ON n.oid = ns.oid,
       pg_catalog.aclexplode(CASE WHEN ARRAY(SELECT x::text FROM pg_catalog.unnest(n.nspacl) x ORDER BY 1)
                = ARRAY(SELECT x::text FROM pg_catalog.unnest(pg_catalog.acldefault('n', n.nspowner)) x ORDER BY 1)
            THEN NULL ELSE n.nspacl END) x
  UNION ALL
  SELECT CASE rel.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
                          WHEN 'm' THEN 'materialized view' ELSE 'table' END,
         rel.nspname, rel.relname, NULL, NULL, x.grantee, x.privilege_type, x.is_grantable
  FROM rel, pg_catalog.aclexplode(CASE WHEN ARRAY(SELECT x::text FROM pg_catalog.unnest(rel.relacl) x ORDER BY 1)
                = ARRAY(SELECT x::text FROM pg_catalog.unnest(pg_catalog.acldefault(CASE rel.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", rel.relowner)) x ORDER BY 1)
            THEN NULL ELSE rel.relacl END) x
  UNION ALL
  SELECT 'column', rel.nspname, rel.relname, NULL, a.attname, x.grantee, x.privilege_type, x.is_grantable
  FROM rel
  JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped,
       pg_catalog.aclexplode(a.attacl) x
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
         ns.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), NULL,
         x.grantee, x.privilege_type, x.is_grantable
  FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace,
       pg_catalog.aclexplode(CASE WHEN ARRAY(SELECT x::text FROM pg_catalog.unnest(p.proacl) x ORDER BY 1)
                = ARRAY(SELECT x::text FROM pg_catalog.unnest(pg_catalog.acldefault('f', p.proowner)) x ORDER BY 1)
            THEN NULL ELSE p.proacl END) x
  WHERE NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e')
)
SELECT kind, schema, name, arguments, "column",
       CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(grantee) END AS grantee,
       privilege_type AS privilege, is_grantable AS grantable
FROM acl
