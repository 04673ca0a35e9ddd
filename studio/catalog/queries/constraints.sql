-- Primary key, unique, foreign key, check and exclusion constraints of the
-- tables $1 (oid[]). Left out: NOT NULL (on the column), constraint triggers,
-- and what a partition or child inherits (conparentid, conislocal), which
-- comes with the parent's: except a partition's own key constraint attached
-- to its parent's (pg_dump writes it, under its own name), and with a CHECK a
-- partition has from its parent even when it was its own before ATTACH
-- PARTITION merged the two (a partition cannot drop it: it is the parent's).
SELECT con.oid, con.conrelid AS table_oid, con.conname AS name, con.contype::text AS kind,
       -- pg_get_constraintdef reads the constraint under the snapshot but the
       -- tables and index it names from the current catalog, and raises an
       -- error for one dropped meanwhile: has_table_privilege(oid) is NULL then
       CASE WHEN pg_catalog.has_table_privilege(con.conrelid, 'SELECT') IS NOT NULL
             AND (con.confrelid = 0 OR pg_catalog.has_table_privilege(con.confrelid, 'SELECT') IS NOT NULL)
             AND (con.conindid = 0 OR pg_catalog.has_table_privilege(con.conindid, 'SELECT') IS NOT NULL)
            -- '' where studio.catalog.tables writes the same text itself (see the include)
            THEN CASE WHEN
--@include constraint_text
                 THEN '' ELSE pg_catalog.pg_get_constraintdef(con.oid) END
       END AS definition,
       -- attnums: the names come from the columns query (one lookup per table
       -- instead of a subquery per constraint); oid[] rather than int2[] because
       -- asyncpg decodes text[] and oid[] without first asking the server about
       -- the type (a round trip per session)
       con.conkey::oid[] AS columns,
       con.convalidated AS validated, con.condeferrable AS deferrable,
       con.condeferred AS deferred, con.connoinherit AS no_inherit,
       rn.nspname AS ref_schema, r.relname AS ref_table,
       con.confrelid AS ref_oid, con.confkey::oid[] AS ref_columns,
       -- the referenced columns' names, only when that table is out of scope
       CASE WHEN con.contype = 'f' AND ref.oid IS NULL THEN
         ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(num, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
               ORDER BY k.ord)::text[]
       END AS ref_column_names,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
       con.confmatchtype::text AS match,
       CASE WHEN con.contype IN ('p', 'u', 'x') THEN i.relname END AS index,
       CASE WHEN con.contype IN ('p', 'u', 'x') THEN con.conindid END AS index_oid,
       d.description AS comment,
       -- a partition's key constraint: the parent index its index is attached to
       pn.nspname AS attached_schema, pi.relname AS attached_name
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.unnest($1::oid[]) AS rel(oid) ON rel.oid = con.conrelid
-- the referenced table when it is in scope
LEFT JOIN pg_catalog.unnest($1::oid[]) AS ref(oid) ON ref.oid = con.confrelid
LEFT JOIN pg_catalog.pg_index ix ON con.contype IN ('p', 'u') AND ix.indexrelid = con.conindid
LEFT JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_catalog.pg_class i ON i.oid = con.conindid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = con.oid AND d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objsubid = 0
LEFT JOIN pg_catalog.pg_inherits h ON con.contype IN ('p', 'u', 'x') AND h.inhrelid = con.conindid
LEFT JOIN pg_catalog.pg_class pi ON pi.oid = h.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pi.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND (CASE WHEN con.contype IN ('p', 'u', 'x') THEN con.conparentid <> 0 OR con.conislocal
            WHEN con.contype = 'c' AND con.coninhcount > 0 THEN con.conislocal
              AND NOT (SELECT t.relispartition FROM pg_catalog.pg_class t WHERE t.oid = con.conrelid)
            ELSE con.conparentid = 0 AND con.conislocal END)
