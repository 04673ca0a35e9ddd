-- Tables and partitioned tables with their table-level properties. Columns,
-- constraints, indexes, triggers and policies come from their own queries.
WITH ns AS (
--@include scope
), rel AS (
--@include relations
)
SELECT c.oid, rel.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
       c.relpersistence = 'u' AS unlogged,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       c.reloptions AS options,
       -- the TOAST table's storage parameters, written as toast.<name>
       CASE WHEN c.reltoastrelid <> 0 THEN
         (SELECT tc.reloptions FROM pg_catalog.pg_class tc WHERE tc.oid = c.reltoastrelid)
       END AS toast_options,
       c.relreplident::text AS replica_identity,
       -- an identity index dropped leaves relreplident 'i' and no index: NULL here
       CASE WHEN c.relreplident = 'i' THEN
         (SELECT ic.relname FROM pg_catalog.pg_index x
            JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
           WHERE x.indrelid = c.oid AND x.indisreplident)
       END AS replica_index,
       am.amname AS access_method,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
       c.relispartition AS is_partition,
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       -- for a partition its one parent; otherwise the INHERITS parents in order
       -- (text[], not name[]: asyncpg decodes text[] and oid[] without first
       -- asking the server about the type, a round trip per session)
       (SELECT array_agg(pn.nspname ORDER BY i.inhseqno)::text[] FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid) AS parent_schemas,
       (SELECT array_agg(p.relname ORDER BY i.inhseqno)::text[] FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
         WHERE i.inhrelid = c.oid) AS parent_names,
       d.description AS comment
FROM rel
JOIN pg_catalog.pg_class c ON c.oid = rel.oid
-- relam is 0 for a partitioned table before PostgreSQL 17, and after unless set
LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
WHERE rel.relkind IN ('r', 'p')
