-- Objects of the kinds the model does not hold (operators, operator families
-- and classes, collations, text search dictionaries and configurations, rules,
-- extended statistics, composite and range types and casts are held:
-- catalog_objects.sql, composites.sql), named by pg_identify_object()
-- so that each side of a comparison can say what the other lacks: they are
-- never diffed, only reported. Schema-scoped kinds are read in the schemas in
-- scope; database-wide kinds (casts, event triggers, publications, foreign
-- data wrappers and servers, user mappings, languages, transforms, access
-- methods) always. Left out: the system's own objects (oid below 16384,
-- FirstNormalObjectId), extension members (pg_depend deptype 'e'), objects
-- PostgreSQL made for another one (deptype 'i': a range's multirange, a
-- view's _RETURN rule), array types and tables' row types.
-- On the catalogs that grow with the schema (pg_class, pg_type, pg_rewrite)
-- the oid is compared as int8: on the oid index, the planner walks most of
-- the catalog in random order (40 ms at 3,000 tables and views, 12 ms seq).
-- A kind the model comes to hold is taken out of this list.
WITH ns AS (
--@include scope
), obj (classid, objid, nsp) AS (
  SELECT 'pg_catalog.pg_ts_parser'::pg_catalog.regclass, t.oid, t.prsnamespace
    FROM pg_catalog.pg_ts_parser t WHERE t.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_ts_template'::pg_catalog.regclass, t.oid, t.tmplnamespace
    FROM pg_catalog.pg_ts_template t WHERE t.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, c.connamespace
    FROM pg_catalog.pg_conversion c WHERE c.oid >= 16384
  UNION ALL
  -- foreign tables
  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid, c.relnamespace
    FROM pg_catalog.pg_class c WHERE c.oid::pg_catalog.int8 >= 16384 AND c.relkind = 'f'
  UNION ALL
  -- base and shell types; not array types
  SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typnamespace
    FROM pg_catalog.pg_type t
   WHERE t.oid::pg_catalog.int8 >= 16384 AND t.typtype IN ('b', 'p') AND NOT (t.typcategory = 'A' AND t.typelem <> 0)
  UNION ALL
  -- casts that touch no type or function in scope (catalog_objects.sql holds the others)
  SELECT 'pg_catalog.pg_cast'::pg_catalog.regclass, c.oid, NULL FROM pg_catalog.pg_cast c
   WHERE c.oid >= 16384
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.oid IN (c.castsource, c.casttarget))
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.oid = c.castfunc)
  UNION ALL
  SELECT 'pg_catalog.pg_event_trigger'::pg_catalog.regclass, e.oid, NULL
    FROM pg_catalog.pg_event_trigger e WHERE e.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_publication'::pg_catalog.regclass, p.oid, NULL
    FROM pg_catalog.pg_publication p WHERE p.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass, w.oid, NULL
    FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_foreign_server'::pg_catalog.regclass, s.oid, NULL
    FROM pg_catalog.pg_foreign_server s WHERE s.oid >= 16384
  UNION ALL
  -- the view: the table itself is readable by superusers only
  SELECT 'pg_catalog.pg_user_mapping'::pg_catalog.regclass, u.umid, NULL
    FROM pg_catalog.pg_user_mappings u WHERE u.umid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_language'::pg_catalog.regclass, l.oid, NULL
    FROM pg_catalog.pg_language l WHERE l.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_transform'::pg_catalog.regclass, t.oid, NULL
    FROM pg_catalog.pg_transform t WHERE t.oid >= 16384
  UNION ALL
  SELECT 'pg_catalog.pg_am'::pg_catalog.regclass, a.oid, NULL FROM pg_catalog.pg_am a WHERE a.oid >= 16384
), kept AS (
  SELECT obj.classid, obj.objid, ns.nspname
  FROM obj
  LEFT JOIN ns ON ns.oid = obj.nsp
  WHERE (obj.nsp IS NULL OR ns.oid IS NOT NULL)
    AND NOT EXISTS (
      SELECT FROM pg_catalog.pg_depend d
      WHERE d.classid = obj.classid AND d.objid = obj.objid AND d.objsubid = 0 AND d.deptype IN ('e', 'i'))
)
SELECT i.type AS kind, i.identity, kept.nspname AS schema
FROM kept, LATERAL pg_catalog.pg_identify_object(kept.classid, kept.objid, 0) i
-- NULL when the object was dropped since the snapshot
WHERE i.identity IS NOT NULL
