-- True for an index whose pg_get_indexdef text studio.catalog.tables may write
-- itself from its columns' names: a btree index on plain columns, without
-- INCLUDE columns, WHERE, WITH (...), DESC or NULLS FIRST, each column's
-- operator class a default one without options (plain_opclasses.sql). The
-- client then checks that each class is the column's own type's and that the
-- collation is the column's, and writes `CREATE [UNIQUE] INDEX name ON [ONLY]
-- schema.table USING btree (cols) [NULLS NOT DISTINCT]`; the others it asks
-- for (index_definitions.sql). pg_get_indexdef fills a catalog cache entry per
-- index, column and operator class it names, and looks each column's default
-- class up in pg_opclass every time: at thousands of tables that costs more
-- than the rest of the query.
am.amname = 'btree' AND x.indexprs IS NULL AND x.indpred IS NULL AND c.reloptions IS NULL
AND x.indnatts = x.indnkeyatts AND 0 = ALL (x.indoption::int2[])
AND x.indclass::oid[] <@ ARRAY(SELECT oid FROM (
--@include plain_opclasses
) AS plain)
