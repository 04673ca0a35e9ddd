-- The namespaces in scope, and whether the database holds any object of the
-- kinds `composites` and `catalog_objects` read (the same on every row): most
-- hold none, and those two queries, long to plan in a new backend, are then
-- not sent. User objects have oids of 16384 (FirstNormalObjectId) and up.
WITH ns AS (
--@include scope
), kinds AS (
  SELECT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relkind = 'c' AND c.oid::pg_catalog.int8 >= 16384)
           AS any_composites,
         EXISTS (SELECT FROM pg_catalog.pg_range r WHERE r.rngtypid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_collation c WHERE c.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_ts_dict t WHERE t.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_ts_config t WHERE t.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_cast c WHERE c.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_rewrite r
                      WHERE r.oid::pg_catalog.int8 >= 16384 AND r.rulename <> '_RETURN')
           OR EXISTS (SELECT FROM pg_catalog.pg_opfamily f WHERE f.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_opclass c WHERE c.oid >= 16384)
           OR EXISTS (SELECT FROM pg_catalog.pg_statistic_ext s WHERE s.oid >= 16384)
           AS any_catalog_objects
)
SELECT ns.nspname AS name, d.description AS comment, kinds.any_composites, kinds.any_catalog_objects
FROM ns
CROSS JOIN kinds
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = ns.oid AND d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objsubid = 0
