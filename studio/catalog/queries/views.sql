-- Views and materialized views in scope, with the relations and columns their
-- rewrite rule reads (pg_depend from the pg_rewrite row; the view itself left out).
WITH ns AS (
--@include scope
), rel AS (
--@include relations
), dep AS (
  SELECT DISTINCT r.ev_class AS view_oid, dn.nspname, dc.relname, a.attname
  FROM rel
  JOIN pg_catalog.pg_rewrite r ON r.ev_class = rel.oid
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> r.ev_class
  JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
  JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
  WHERE rel.relkind IN ('v', 'm')
), deps AS (
  SELECT view_oid,
         array_agg(nspname)::text[] AS dep_schemas, array_agg(relname)::text[] AS dep_names,
         array_agg(attname)::text[] AS dep_columns
  FROM dep GROUP BY view_oid
)
SELECT c.oid, rel.nspname AS schema, c.relname AS name,
       -- pg_get_viewdef raises an error, rather than returning NULL, for a view
       -- dropped since the snapshot: has_table_privilege(oid) is NULL then
       CASE WHEN pg_catalog.has_table_privilege(c.oid, 'SELECT') IS NOT NULL
            THEN pg_catalog.pg_get_viewdef(c.oid) END AS definition,
       c.relkind = 'm' AS materialized, c.reloptions AS options,
       deps.dep_schemas, deps.dep_names, deps.dep_columns,
       d.description AS comment
FROM rel
JOIN pg_catalog.pg_class c ON c.oid = rel.oid
LEFT JOIN deps ON deps.view_oid = c.oid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
WHERE rel.relkind IN ('v', 'm')
