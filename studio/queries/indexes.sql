-- Indexes of the tables and materialized views in scope, except those that
-- back a constraint (they come with it) and the partitions of a partitioned
-- index (they come with the parent's).
WITH ns AS (
--@include scope
), rel AS (
--@include relations
)
SELECT x.indrelid AS table_oid, c.relname AS name,
       pg_catalog.pg_get_indexdef(x.indexrelid) AS definition,
       x.indisunique AS "unique", am.amname AS method,
       -- pg_get_indexdef(index, n, true) gives column n's name or expression
       -- only: the opclass (when not the default) and the order are added here
       ARRAY(SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k.n, true)
                    || CASE WHEN oc.opcdefault THEN ''
                            WHEN ocn.nspname = 'pg_catalog' THEN ' ' || pg_catalog.quote_ident(oc.opcname)
                            ELSE ' ' || pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END
                    || CASE x.indoption[k.n - 1] & 3
                            WHEN 1 THEN ' DESC NULLS LAST' WHEN 2 THEN ' NULLS FIRST' WHEN 3 THEN ' DESC'
                            ELSE '' END
             FROM pg_catalog.generate_series(1, x.indnkeyatts) k(n)
             JOIN pg_catalog.pg_opclass oc ON oc.oid = x.indclass[k.n - 1]
             JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
             ORDER BY k.n) AS keys,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k.n, true)
             FROM pg_catalog.generate_series(x.indnkeyatts + 1, x.indnatts) k(n)
             ORDER BY k.n) AS include,
       pg_catalog.pg_get_expr(x.indpred, x.indrelid) AS predicate,
       x.indnullsnotdistinct AS nulls_not_distinct,
       x.indisvalid AS valid,
       ts.spcname AS tablespace,
       d.description AS comment
FROM pg_catalog.pg_index x
JOIN rel ON rel.oid = x.indrelid AND rel.relkind IN ('r', 'p', 'm')
JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
WHERE NOT EXISTS (
        SELECT FROM pg_catalog.pg_constraint con
        WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid
          AND con.contype IN ('p', 'u', 'x'))
  AND NOT c.relispartition
