-- The user relations of the database: name, kind, storage (relfilenode) and, for an index or an
-- owned sequence, its table. Read before and after a traced statement.
SELECT c.oid::int8 AS oid,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
       c.relkind::text AS kind,
       c.relfilenode::int8 AS filenode,
       coalesce(i.indrelid,
                (SELECT d.refobjid FROM pg_depend d
                 WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                 LIMIT 1))::int8 AS table_oid
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
