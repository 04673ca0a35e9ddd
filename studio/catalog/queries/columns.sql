-- PostgreSQL 13 (no column compression); columns_14.sql for 14-17, columns_18.sql for 18+.
-- The columns of the tables and views $1 (oid[]), one row per column (cheaper
-- than aggregating arrays per table: no sort, no per-group aggregate state).
SELECT a.attrelid AS oid, a.attnum AS num, a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       -- A DEFAULT cannot refer to a column, so it needs no relation context;
       -- giving pg_get_expr one makes it open the relation (a relcache build
       -- per table). A generated column's expression does refer to columns.
       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, 0)
            ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS expr,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       -- false for a column a child only inherits (CREATE TABLE ... INHERITS leaves it out)
       a.attislocal AS local,
       -- a collation only when it is not the type's own
       CASE WHEN a.attcollation = t.typcollation THEN NULL
            WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
            ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
       END AS "collation",
       d.description AS comment,
       -- PostgreSQL 18 names NOT NULL constraints (columns_18.sql)
       NULL::name AS not_null_name, NULL::bool AS not_null_valid,
--@include column_attributes
       NULL::text AS compression  -- SET COMPRESSION came with 14 (columns_14.sql)
FROM pg_catalog.unnest($1::oid[]) AS rel(oid)
JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
 AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
