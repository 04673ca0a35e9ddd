-- Every object of the database that the model names (oid >= 16384: not
-- initdb's), with its oid and what its dependency key is made of: `class`
-- says which key (studio.catalog.origins), `schema`/`name` name it, `tschema`
-- and `tname` the table a trigger, policy or constraint belongs to,
-- `arguments` a function's identity arguments (as functions.sql prints them,
-- under the same empty search_path). Where a composite declared schema's
-- objects came from is told by their oids (studio.sources.load); one scan of
-- each catalog, by index on oid.
SELECT CASE WHEN c.relkind = 'c' THEN 'y' ELSE 'c' END AS class, c.oid,
       n.nspname AS schema, c.relname AS name,
       NULL::name AS tschema, NULL::name AS tname, NULL::text AS arguments
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I', 'c')
UNION ALL
SELECT 'f', p.oid, n.nspname, p.proname, NULL, NULL,
       pg_catalog.pg_get_function_identity_arguments(p.oid)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.oid >= 16384
UNION ALL
SELECT 'y', t.oid, n.nspname, t.typname, NULL, NULL, NULL
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.oid >= 16384 AND t.typtype IN ('e', 'd', 'r')
UNION ALL
SELECT 't', g.oid, NULL, g.tgname, n.nspname, c.relname, NULL
FROM pg_catalog.pg_trigger g
JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE g.oid >= 16384 AND NOT g.tgisinternal
UNION ALL
SELECT 'p', o.oid, NULL, o.polname, n.nspname, c.relname, NULL
FROM pg_catalog.pg_policy o
JOIN pg_catalog.pg_class c ON c.oid = o.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE o.oid >= 16384
UNION ALL
SELECT 'k', k.oid, NULL, k.conname, n.nspname, c.relname, NULL
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE k.oid >= 16384
UNION ALL
SELECT 'n', n.oid, NULL, n.nspname, NULL, NULL, NULL
FROM pg_catalog.pg_namespace n
WHERE n.oid >= 16384
UNION ALL
SELECT 'e', x.oid, NULL, x.extname, NULL, NULL, NULL
FROM pg_catalog.pg_extension x
WHERE x.oid >= 16384
