-- The namespaces in scope: $1 (text[]) lists them, NULL means every user
-- schema: not the system ones, not temporary ones, not the tool's own history
-- schema, not one an extension created.
SELECT n.oid, n.nspname
FROM pg_catalog.pg_namespace n
WHERE CASE
        WHEN $1::text[] IS NULL THEN
          n.nspname NOT IN ('pg_catalog', 'information_schema', 'schema_studio')
          AND n.nspname !~ '^pg_(toast|temp_)'
        ELSE n.nspname = ANY ($1::text[])
      END
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
      AND d.objid = n.oid AND d.deptype = 'e')
