-- The namespaces in scope, and whether the database holds any object of the
-- kinds some queries read (the same on every row): most databases hold none
-- of several kinds, and the queries of those, each a round trip or two and
-- long to plan in a new backend, are then not sent (introspect._SKIPPABLE).
-- Each flag is true whenever its query could return a row: it looks at the
-- whole database, not only the schemas in scope. User objects have oids of
-- 16384 (FirstNormalObjectId) and up; initdb's own (information_schema's
-- views and domains, pg_catalog's functions) are below it.
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
           AS any_catalog_objects,
         EXISTS (SELECT FROM pg_catalog.pg_class c
                 WHERE c.relkind IN ('v', 'm') AND c.oid::pg_catalog.int8 >= 16384)
           AS any_views,
         EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typtype = 'd' AND t.oid::pg_catalog.int8 >= 16384)
           AS any_domains,
         EXISTS (SELECT FROM pg_catalog.pg_proc p
                 WHERE p.prokind IN ('f', 'p', 'w') AND p.oid::pg_catalog.int8 >= 16384)
           AS any_functions,
         EXISTS (SELECT FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid::pg_catalog.int8 >= 16384)
           AS any_aggregates,
         -- the system's own triggers are all internal (keys' RI triggers are too)
         EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE NOT t.tgisinternal) AS any_triggers,
         EXISTS (SELECT FROM pg_catalog.pg_policy) AS any_policies
)
SELECT ns.nspname AS name, d.description AS comment, kinds.any_composites,
       kinds.any_catalog_objects, kinds.any_views, kinds.any_domains, kinds.any_functions,
       kinds.any_aggregates, kinds.any_triggers, kinds.any_policies
FROM ns
CROSS JOIN kinds
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = ns.oid AND d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objsubid = 0
