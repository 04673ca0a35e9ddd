-- PostgreSQL 15+: with NULLS NOT DISTINCT.
-- Indexes of the tables and materialized views $1 (oid[]), except those that
-- back a constraint (they come with it). A partition's index attached to an
-- index of its parent (pg_inherits on indexes) names that parent index.
SELECT x.indexrelid AS oid, x.indrelid AS table_oid, c.relname AS name,
       -- '' where studio.catalog.tables writes the same text itself (see the
       -- include); NULL, as from pg_get_indexdef, once its table is dropped (an
       -- index dropped alone meanwhile is read as the snapshot has it: looking
       -- each index up in the current catalog would cost what the include saves)
       CASE WHEN
--@include index_text
            THEN CASE WHEN pg_catalog.has_table_privilege(x.indrelid, 'SELECT') IS NOT NULL
                      THEN '' END
            ELSE pg_catalog.pg_get_indexdef(x.indexrelid) END AS definition,
       x.indkey::int2[]::oid[] AS key_columns, c.relkind = 'I' AS partitioned,
       x.indisunique AS "unique", am.amname AS method,
       -- key columns, INCLUDE columns and predicate are cut out of the
       -- definition (studio.catalog.rows.split_index_definition): asking
       -- pg_get_indexdef for each column again would double the cost
       x.indnullsnotdistinct AS nulls_not_distinct,
       x.indisvalid AS valid,
       ts.spcname AS tablespace,
       d.description AS comment,
       pn.nspname AS attached_schema, pi.relname AS attached_name
FROM pg_catalog.pg_index x
JOIN pg_catalog.unnest($1::oid[]) AS rel(oid) ON rel.oid = x.indrelid
JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
-- an index has at most one parent index
LEFT JOIN pg_catalog.pg_inherits h ON c.relispartition AND h.inhrelid = c.oid
LEFT JOIN pg_catalog.pg_class pi ON pi.oid = h.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pi.relnamespace
WHERE NOT EXISTS (
        SELECT FROM pg_catalog.pg_constraint con
        WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid
          AND con.contype IN ('p', 'u', 'x'))
