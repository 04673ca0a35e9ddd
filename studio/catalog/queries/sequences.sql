-- Every sequence in scope, with what owns it: deptype 'a' is OWNED BY (serial),
-- 'i' is an identity column's sequence (reported on the column, not as a Sequence).
WITH ns AS (
--@include scope
)
SELECT c.oid, ns.nspname AS schema, c.relname AS name,
       pg_catalog.format_type(s.seqtypid, NULL) AS data_type,
       s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min_value,
       s.seqmax AS max_value, s.seqcache AS cache, s.seqcycle AS cycle,
       o.deptype::text AS owner_kind, o.refobjid AS owner_oid,
       tn.nspname AS owner_schema, t.relname AS owner_table, a.attname AS owner_column,
       a.attnum AS owner_attnum,
       d.description AS comment
FROM pg_catalog.pg_class c
JOIN ns ON ns.oid = c.relnamespace
JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend o
  ON o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND o.objid = c.oid
 AND o.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND o.deptype IN ('a', 'i')
LEFT JOIN pg_catalog.pg_class t ON t.oid = o.refobjid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = o.refobjid AND a.attnum = o.refobjsubid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
WHERE c.relkind = 'S'
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND x.objid = c.oid AND x.deptype = 'e')
