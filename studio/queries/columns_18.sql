-- PostgreSQL 18+: also virtual generated columns (attgenerated 'v') and named
-- NOT NULL constraints.
-- The columns of every table and view in scope, one row per relation with
-- one array per attribute property: compact to transfer and to decode. The
-- arrays share one (unspecified) order; `nums` gives each element's attnum.
WITH ns AS (
--@include scope
), rel AS (
--@include relations
), col AS (
  SELECT a.attrelid, a.attnum, a.attname,
         pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
         a.attnotnull,
         pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS expr,
         a.attidentity::text AS identity,
         a.attgenerated::text AS generated,
         CASE WHEN co.oid IS NULL THEN NULL
              WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
              ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
         END AS collation,
         d.description AS comment,
         nn.conname AS nn_name, nn.convalidated AS nn_valid
  FROM rel
  JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  -- a collation only when it is not the type's own
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_catalog.pg_description d
    ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.objsubid = a.attnum
  -- PostgreSQL 18 keeps NOT NULL as a named constraint (contype 'n'), possibly NOT VALID
  LEFT JOIN pg_catalog.pg_constraint nn
    ON nn.conrelid = a.attrelid AND nn.contype = 'n' AND nn.conkey[1] = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
)
SELECT attrelid AS oid,
       array_agg(attnum) AS nums, array_agg(attname) AS names, array_agg(type) AS types,
       array_agg(attnotnull) AS not_null, array_agg(expr) AS exprs,
       array_agg(identity) AS identity, array_agg(generated) AS generated,
       array_agg(collation) AS collations, array_agg(comment) AS comments,
       array_agg(nn_name) AS nn_names, array_agg(nn_valid) AS nn_valid
FROM col
GROUP BY attrelid
