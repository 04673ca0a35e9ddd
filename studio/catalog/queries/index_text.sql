-- True for an index whose pg_get_indexdef text studio.catalog.tables writes
-- itself from its columns' names: `CREATE [UNIQUE] INDEX name ON [ONLY]
-- schema.table USING btree (cols) [NULLS NOT DISTINCT]`. That is a btree
-- index on plain columns, without INCLUDE columns, WHERE, WITH (...), DESC or
-- NULLS FIRST, each column with its own type's default operator class (the
-- exact type's, which GetDefaultOpClass takes first; a type has at most one)
-- when that class has no options support function (BTOPTIONS_PROC, 5: so the
-- column has no class options), and with the column's collation.
-- pg_get_indexdef fills a catalog cache entry per index, column and operator
-- class it names, and scans pg_opclass for each column's default class, which
-- at thousands of tables costs more than the rest of the query; here each
-- column is one index probe of pg_attribute and one of pg_opclass.
-- (AND and CASE evaluate in order: the probes only for the candidates.)
am.amname = 'btree' AND x.indexprs IS NULL AND x.indpred IS NULL AND c.reloptions IS NULL
AND x.indnatts = x.indnkeyatts AND 0 = ALL (x.indoption::int2[])
-- (computed once for the query)
AND x.indclass::oid[] <@ ARRAY(
  SELECT o.oid FROM pg_catalog.pg_opclass o
  JOIN pg_catalog.pg_am oam ON oam.oid = o.opcmethod
  WHERE oam.amname = 'btree' AND o.opcdefault
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_amproc p
                    WHERE p.amprocfamily = o.opcfamily AND p.amprocnum = 5))
AND CASE WHEN x.indnkeyatts = 1 THEN (
       -- the usual case, without a set-returning function per index
       SELECT o.opcintype = a.atttypid AND x.indcollation[0] IN (0, a.attcollation)
       FROM pg_catalog.pg_attribute a, pg_catalog.pg_opclass o
       WHERE a.attrelid = x.indrelid AND a.attnum = x.indkey[0] AND o.oid = x.indclass[0])
     ELSE NOT EXISTS (
       SELECT FROM ROWS FROM (pg_catalog.unnest(x.indkey::int2[]),
                              pg_catalog.unnest(x.indclass::oid[]),
                              pg_catalog.unnest(x.indcollation::oid[])) AS k(attnum, opclass, coll)
       WHERE NOT EXISTS (
         SELECT FROM pg_catalog.pg_attribute a, pg_catalog.pg_opclass o
         WHERE a.attrelid = x.indrelid AND a.attnum = k.attnum AND o.oid = k.opclass
           AND o.opcintype = a.atttypid AND k.coll IN (0, a.attcollation)))
     END
