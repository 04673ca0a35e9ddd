-- User triggers (constraint triggers included, internal ones such as FK
-- enforcement left out) on the tables and views $1 (oid[]); clones a partition
-- gets from its parent's trigger (tgparentid) come with the parent's.
SELECT t.oid, t.tgrelid AS table_oid, t.tgname AS name,
       pg_catalog.pg_get_triggerdef(t.oid) AS definition,
       pn.nspname AS function_schema, p.proname AS function_name,
       t.tgenabled::text AS enabled,
       d.description AS comment
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.unnest($1::oid[]) AS rel(oid) ON rel.oid = t.tgrelid
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND d.objsubid = 0
WHERE NOT t.tgisinternal AND t.tgparentid = 0
