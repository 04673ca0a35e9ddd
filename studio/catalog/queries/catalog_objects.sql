-- The object kinds kept as the statements that create them: range types,
-- collations, text search dictionaries and configurations, operators,
-- operator families and classes, casts, rules and extended statistics. Each
-- row: kind, schema (NULL for a cast), identity (what DROP names), the CREATE
-- statements (built from the catalog, so both sides of a diff print alike),
-- what they need first (types as format_type prints them, functions and
-- relations as schema, name, other objects of these kinds as kind:identity)
-- and the comment. Extension members, the objects made along with another
-- one, and the system's own (oid below FirstNormalObjectId, 16384: also what
-- lets each part start from an index) are left out. Columns that only some
-- servers have are read through to_jsonb(row), which is NULL where they are
-- missing.
WITH ns AS (
--@include scope
), q AS NOT MATERIALIZED (
  SELECT n.oid, pg_catalog.quote_ident(n.nspname) AS nsp FROM pg_catalog.pg_namespace n
), fn AS NOT MATERIALIZED (
  SELECT p.oid, q.nsp || '.' || pg_catalog.quote_ident(p.proname) AS name,
         q.nsp || '.' || pg_catalog.quote_ident(p.proname)
           || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS key
  FROM pg_catalog.pg_proc p JOIN q ON q.oid = p.pronamespace
), opr AS NOT MATERIALIZED (
  -- an operator as an object of the operator kind below names it
  SELECT o.oid, 'operator:' || q.nsp || '.' || o.oprname || ' ('
           || coalesce(pg_catalog.format_type(NULLIF(o.oprleft, 0), NULL), 'NONE') || ', '
           || coalesce(pg_catalog.format_type(NULLIF(o.oprright, 0), NULL), 'NONE') || ')' AS key
  FROM pg_catalog.pg_operator o JOIN q ON q.oid = o.oprnamespace
  WHERE o.oid >= 16384
), opf AS NOT MATERIALIZED (
  SELECT f.oid, q.nsp || '.' || pg_catalog.quote_ident(f.opfname) AS name,
         'operator family:' || q.nsp || '.' || pg_catalog.quote_ident(f.opfname)
           || ' USING ' || pg_catalog.quote_ident(am.amname) AS key
  FROM pg_catalog.pg_opfamily f JOIN q ON q.oid = f.opfnamespace JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
), amitem AS NOT MATERIALIZED (
  -- the operators and support functions of operator families, each under what holds it
  -- (pg_depend): the class it is tied to, or the family it is loose in (pg_dump's reading),
  -- written as CREATE OPERATOR CLASS and ALTER OPERATOR FAMILY ... ADD take them, with the
  -- function, operator and sort family each needs
  SELECT d.refclassid AS holder_catalog, d.refobjid AS holder, 0 AS part, a.amopstrategy::int AS num, a.oid,
         a.amoplefttype AS lefttype, a.amoprighttype AS righttype,
         'OPERATOR ' || a.amopstrategy || ' ' || a.amopopr::pg_catalog.regoperator::text
           || coalesce(' FOR ORDER BY ' || sf.name, '') AS item,
         NULL::text AS function,
         (SELECT opr.key FROM opr WHERE opr.oid = a.amopopr) AS operator,
         CASE WHEN sf.oid >= 16384 THEN sf.key END AS sortfamily
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_amop a ON a.oid = d.objid
  LEFT JOIN opf sf ON sf.oid = a.amopsortfamily
  WHERE d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND a.oid >= 16384
  UNION ALL
  SELECT d.refclassid, d.refobjid, 1, p.amprocnum::int, p.oid, p.amproclefttype, p.amprocrighttype,
         'FUNCTION ' || p.amprocnum || ' (' || pg_catalog.format_type(p.amproclefttype, NULL) || ', '
           || pg_catalog.format_type(p.amprocrighttype, NULL) || ') ' || p.amproc::pg_catalog.regprocedure::text,
         (SELECT fn.key FROM fn WHERE fn.oid = p.amproc), NULL, NULL
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_amproc p ON p.oid = d.objid
  WHERE d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND p.oid >= 16384
), held AS MATERIALIZED (
  -- per class or family: its members in one list (by number, then in the order they were
  -- made, as pg_dump lists them) and what they need; materialized, read by both branches
  SELECT m.holder_catalog, m.holder,
         pg_catalog.string_agg(m.item, ', ' ORDER BY m.part, m.num, m.oid) AS items,
         pg_catalog.array_agg(DISTINCT pg_catalog.format_type(m.lefttype, NULL))
           || pg_catalog.array_agg(DISTINCT pg_catalog.format_type(m.righttype, NULL)) AS types,
         pg_catalog.array_agg(DISTINCT m.function) FILTER (WHERE m.function IS NOT NULL) AS functions,
         pg_catalog.array_agg(DISTINCT m.operator) FILTER (WHERE m.operator IS NOT NULL)
           || pg_catalog.array_agg(DISTINCT m.sortfamily) FILTER (WHERE m.sortfamily IS NOT NULL) AS objects
  FROM amitem m
  GROUP BY m.holder_catalog, m.holder
), made AS MATERIALIZED (
  -- the families CREATE OPERATOR CLASS made along with their class: of its name and
  -- schema, holding no other class, no loose member and no comment of their own
  SELECT f.oid AS family, c.oid AS class
  FROM pg_catalog.pg_opfamily f
  JOIN pg_catalog.pg_opclass c
    ON c.opcfamily = f.oid AND c.opcname = f.opfname AND c.opcnamespace = f.opfnamespace
  WHERE f.oid >= 16384
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_opclass o WHERE o.opcfamily = f.oid AND o.oid <> c.oid)
    AND NOT EXISTS (
      SELECT FROM held h WHERE h.holder_catalog = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND h.holder = f.oid)
    AND NOT EXISTS (
      SELECT FROM pg_catalog.pg_description x
      WHERE x.classoid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND x.objoid = f.oid)
), member AS NOT MATERIALIZED (
  -- an extension's member, or made along with another object (a range's multirange casts)
  SELECT x.classid, x.objid FROM pg_catalog.pg_depend x WHERE x.deptype IN ('e', 'i')
), comments AS NOT MATERIALIZED (
  SELECT d.classoid, d.objoid, d.description FROM pg_catalog.pg_description d WHERE d.objsubid = 0
)
-- range types
SELECT 'range type' AS kind, ns.nspname AS schema, pg_catalog.format_type(t.oid, NULL) AS identity,
       ARRAY['CREATE TYPE ' || pg_catalog.format_type(t.oid, NULL) || ' AS RANGE (SUBTYPE = '
         || pg_catalog.format_type(r.rngsubtype, NULL)
         || CASE WHEN NOT opc.opcdefault
                 THEN ', SUBTYPE_OPCLASS = ' || opc.opcnamespace::pg_catalog.regnamespace::text
                      || '.' || pg_catalog.quote_ident(opc.opcname) ELSE '' END
         || CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                 THEN ', COLLATION = ' || co.collnamespace::pg_catalog.regnamespace::text
                      || '.' || pg_catalog.quote_ident(co.collname) ELSE '' END
         || CASE WHEN r.rngcanonical <> 0 THEN ', CANONICAL = ' || r.rngcanonical::pg_catalog.regproc::text ELSE '' END
         || CASE WHEN r.rngsubdiff <> 0 THEN ', SUBTYPE_DIFF = ' || r.rngsubdiff::pg_catalog.regproc::text ELSE '' END
         || coalesce(', MULTIRANGE_TYPE_NAME = '
              || pg_catalog.format_type((pg_catalog.to_jsonb(r) ->> 'rngmultitypid')::pg_catalog.oid, NULL), '')
         || ')'] AS statements,
       ARRAY[pg_catalog.format_type(r.rngsubtype, NULL)] AS types,
       ARRAY(SELECT fn.key FROM fn WHERE fn.oid IN (r.rngcanonical, r.rngsubdiff)) AS functions,
       ARRAY[]::text[] AS relations,
       -- a btree class of the user's
       ARRAY(SELECT 'operator class:' || q.nsp || '.' || pg_catalog.quote_ident(opc.opcname) || ' USING btree'
             FROM q WHERE q.oid = opc.opcnamespace AND opc.oid >= 16384) AS objects,
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND c.objoid = t.oid) AS comment,
       'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid AS catalog, t.oid AS oid,
       false AS makes_family
FROM pg_catalog.pg_range r
JOIN pg_catalog.pg_type t ON t.oid = r.rngtypid
JOIN ns ON ns.oid = t.typnamespace
JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc
LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation
WHERE t.oid >= 16384
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND m.objid = t.oid)
UNION ALL
-- collations
SELECT 'collation', ns.nspname, pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(co.collname),
       ARRAY['CREATE COLLATION ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(co.collname)
         || ' (provider = ' || CASE co.collprovider WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' ELSE 'libc' END
         || CASE WHEN co.collprovider = 'c'
                 THEN ', lc_collate = ' || pg_catalog.quote_literal(co.collcollate)
                      || ', lc_ctype = ' || pg_catalog.quote_literal(co.collctype)
                 ELSE ', locale = ' || pg_catalog.quote_literal(coalesce(
                        pg_catalog.to_jsonb(co) ->> 'colllocale', pg_catalog.to_jsonb(co) ->> 'colliculocale', co.collcollate))
            END
         || coalesce(', rules = ' || pg_catalog.quote_literal(pg_catalog.to_jsonb(co) ->> 'collicurules'), '')
         || CASE WHEN co.collisdeterministic THEN '' ELSE ', deterministic = false' END
         || ')'],
       ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[],
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_collation'::pg_catalog.regclass AND c.objoid = co.oid),
       'pg_catalog.pg_collation'::pg_catalog.regclass::pg_catalog.oid, co.oid, false
FROM pg_catalog.pg_collation co
JOIN ns ON ns.oid = co.collnamespace
WHERE co.oid >= 16384
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_collation'::pg_catalog.regclass AND m.objid = co.oid)
UNION ALL
-- text search dictionaries
SELECT 'text search dictionary', ns.nspname, pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(dt.dictname),
       ARRAY['CREATE TEXT SEARCH DICTIONARY ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(dt.dictname)
         || ' (TEMPLATE = ' || tp.tmplnamespace::pg_catalog.regnamespace::text || '.' || pg_catalog.quote_ident(tp.tmplname)
         || coalesce(', ' || dt.dictinitoption, '') || ')'],
       ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[],
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_ts_dict'::pg_catalog.regclass AND c.objoid = dt.oid),
       'pg_catalog.pg_ts_dict'::pg_catalog.regclass::pg_catalog.oid, dt.oid, false
FROM pg_catalog.pg_ts_dict dt
JOIN ns ON ns.oid = dt.dictnamespace
JOIN pg_catalog.pg_ts_template tp ON tp.oid = dt.dicttemplate
WHERE dt.oid >= 16384
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_ts_dict'::pg_catalog.regclass AND m.objid = dt.oid)
UNION ALL
-- text search configurations: the parser, then one mapping per token type
SELECT 'text search configuration', ns.nspname, pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(cf.cfgname),
       ARRAY['CREATE TEXT SEARCH CONFIGURATION ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(cf.cfgname)
         || ' (PARSER = ' || pr.prsnamespace::pg_catalog.regnamespace::text || '.' || pg_catalog.quote_ident(pr.prsname) || ')']
       || ARRAY(
         SELECT 'ALTER TEXT SEARCH CONFIGURATION ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(cf.cfgname)
           || ' ADD MAPPING FOR ' || tt.alias || ' WITH '
           || pg_catalog.string_agg(md.dictnamespace::pg_catalog.regnamespace::text || '.' || pg_catalog.quote_ident(md.dictname), ', ' ORDER BY m.mapseqno)
         FROM pg_catalog.pg_ts_config_map m
         JOIN pg_catalog.ts_token_type(cf.cfgparser) tt ON tt.tokid = m.maptokentype
         JOIN pg_catalog.pg_ts_dict md ON md.oid = m.mapdict
         WHERE m.mapcfg = cf.oid
         GROUP BY tt.alias ORDER BY tt.alias),
       ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[],
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_ts_config'::pg_catalog.regclass AND c.objoid = cf.oid),
       'pg_catalog.pg_ts_config'::pg_catalog.regclass::pg_catalog.oid, cf.oid, false
FROM pg_catalog.pg_ts_config cf
JOIN ns ON ns.oid = cf.cfgnamespace
JOIN pg_catalog.pg_ts_parser pr ON pr.oid = cf.cfgparser
WHERE cf.oid >= 16384
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_ts_config'::pg_catalog.regclass AND m.objid = cf.oid)
UNION ALL
-- operators (a shell, which has no function yet, is made by whichever operator names it)
SELECT 'operator', ns.nspname,
       pg_catalog.quote_ident(ns.nspname) || '.' || o.oprname || ' ('
         || coalesce(pg_catalog.format_type(NULLIF(o.oprleft, 0), NULL), 'NONE') || ', '
         || coalesce(pg_catalog.format_type(NULLIF(o.oprright, 0), NULL), 'NONE') || ')',
       ARRAY['CREATE OPERATOR ' || pg_catalog.quote_ident(ns.nspname) || '.' || o.oprname || ' (FUNCTION = '
         || o.oprcode::pg_catalog.regproc::text
         || coalesce(', LEFTARG = ' || pg_catalog.format_type(NULLIF(o.oprleft, 0), NULL), '')
         || coalesce(', RIGHTARG = ' || pg_catalog.format_type(NULLIF(o.oprright, 0), NULL), '')
         || coalesce(', COMMUTATOR = OPERATOR(' || com.oprnamespace::pg_catalog.regnamespace::text || '.' || com.oprname || ')', '')
         || coalesce(', NEGATOR = OPERATOR(' || neg.oprnamespace::pg_catalog.regnamespace::text || '.' || neg.oprname || ')', '')
         || coalesce(', RESTRICT = ' || NULLIF(o.oprrest, 0)::pg_catalog.regproc::text, '')
         || coalesce(', JOIN = ' || NULLIF(o.oprjoin, 0)::pg_catalog.regproc::text, '')
         || CASE WHEN o.oprcanhash THEN ', HASHES' ELSE '' END
         || CASE WHEN o.oprcanmerge THEN ', MERGES' ELSE '' END || ')'],
       ARRAY(SELECT pg_catalog.format_type(x, NULL) FROM pg_catalog.unnest(ARRAY[o.oprleft, o.oprright]) x WHERE x <> 0),
       ARRAY(SELECT fn.key FROM fn WHERE fn.oid IN (o.oprcode, o.oprrest, o.oprjoin)),
       ARRAY[]::text[], ARRAY[]::text[],
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND c.objoid = o.oid),
       'pg_catalog.pg_operator'::pg_catalog.regclass::pg_catalog.oid, o.oid, false
FROM pg_catalog.pg_operator o
JOIN ns ON ns.oid = o.oprnamespace
LEFT JOIN pg_catalog.pg_operator com ON com.oid = NULLIF(o.oprcom, 0)
LEFT JOIN pg_catalog.pg_operator neg ON neg.oid = NULLIF(o.oprnegate, 0)
WHERE o.oid >= 16384 AND o.oprcode <> 0
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND m.objid = o.oid)
UNION ALL
-- casts between types or through functions of the schemas in scope
SELECT 'cast', NULL,
       '(' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')',
       ARRAY['CREATE CAST (' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')'
         || CASE c.castmethod WHEN 'f' THEN ' WITH FUNCTION ' || c.castfunc::pg_catalog.regprocedure::text
                              WHEN 'i' THEN ' WITH INOUT' ELSE ' WITHOUT FUNCTION' END
         || CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END],
       ARRAY[pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL)],
       ARRAY(SELECT fn.key FROM fn WHERE fn.oid = c.castfunc),
       ARRAY[]::text[], ARRAY[]::text[],
       (SELECT description FROM comments d WHERE d.classoid = 'pg_catalog.pg_cast'::pg_catalog.regclass AND d.objoid = c.oid),
       'pg_catalog.pg_cast'::pg_catalog.regclass::pg_catalog.oid, c.oid, false
FROM pg_catalog.pg_cast c
WHERE c.oid >= 16384
  AND (EXISTS (SELECT FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.oid IN (c.castsource, c.casttarget))
       OR EXISTS (SELECT FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.oid = c.castfunc))
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass AND m.objid = c.oid)
UNION ALL
-- rules (a view's own _RETURN rule is the view)
SELECT 'rule', ns.nspname,
       pg_catalog.quote_ident(r.rulename) || ' ON ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(cl.relname),
       ARRAY[pg_catalog.rtrim(pg_catalog.pg_get_ruledef(r.oid), ';')],
       ARRAY[]::text[], ARRAY[]::text[],
       ARRAY[pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(cl.relname)], ARRAY[]::text[],
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND c.objoid = r.oid),
       'pg_catalog.pg_rewrite'::pg_catalog.regclass::pg_catalog.oid, r.oid, false
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class cl ON cl.oid = r.ev_class
JOIN ns ON ns.oid = cl.relnamespace
WHERE r.oid >= 16384 AND r.rulename <> '_RETURN'
UNION ALL
-- operator families, with their loose members (ALTER OPERATOR FAMILY ... ADD); one made along
-- with its class is that class's
SELECT 'operator family', ns.nspname,
       f.name || ' USING ' || pg_catalog.quote_ident(am.amname),
       CASE WHEN h.items IS NULL
            THEN ARRAY['CREATE OPERATOR FAMILY ' || f.name || ' USING ' || pg_catalog.quote_ident(am.amname)]
            ELSE ARRAY['CREATE OPERATOR FAMILY ' || f.name || ' USING ' || pg_catalog.quote_ident(am.amname),
                       'ALTER OPERATOR FAMILY ' || f.name || ' USING ' || pg_catalog.quote_ident(am.amname)
                         || ' ADD ' || h.items]
       END,
       coalesce(h.types, ARRAY[]::text[]), coalesce(h.functions, ARRAY[]::text[]), ARRAY[]::text[],
       coalesce(h.objects, ARRAY[]::text[]),
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND c.objoid = f.oid),
       'pg_catalog.pg_opfamily'::pg_catalog.regclass::pg_catalog.oid, f.oid, false
FROM opf f
JOIN pg_catalog.pg_opfamily pf ON pf.oid = f.oid
JOIN ns ON ns.oid = pf.opfnamespace
JOIN pg_catalog.pg_am am ON am.oid = pf.opfmethod
LEFT JOIN held h ON h.holder_catalog = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND h.holder = f.oid
WHERE f.oid >= 16384
  AND NOT EXISTS (SELECT FROM made WHERE made.family = f.oid)
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND m.objid = f.oid)
UNION ALL
-- operator classes, with the members tied to them; one that makes its family names none
SELECT 'operator class', ns.nspname,
       pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(c.opcname) || ' USING ' || pg_catalog.quote_ident(am.amname),
       ARRAY['CREATE OPERATOR CLASS ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(c.opcname)
         || CASE WHEN c.opcdefault THEN ' DEFAULT' ELSE '' END
         || ' FOR TYPE ' || pg_catalog.format_type(c.opcintype, NULL) || ' USING ' || pg_catalog.quote_ident(am.amname)
         || CASE WHEN made.class IS NULL THEN ' FAMILY ' || f.name ELSE '' END
         || ' AS ' || coalesce(NULLIF(pg_catalog.concat_ws(', ',
              CASE WHEN c.opckeytype <> 0 THEN 'STORAGE ' || pg_catalog.format_type(c.opckeytype, NULL) END,
              h.items), ''),
              -- every member loose in the family: STORAGE of its own type says nothing (pg_dump's way)
              'STORAGE ' || pg_catalog.format_type(c.opcintype, NULL))],
       ARRAY[pg_catalog.format_type(c.opcintype, NULL)]
         || CASE WHEN c.opckeytype <> 0 THEN ARRAY[pg_catalog.format_type(c.opckeytype, NULL)] ELSE ARRAY[]::text[] END
         || coalesce(h.types, ARRAY[]::text[]),
       coalesce(h.functions, ARRAY[]::text[]),
       ARRAY[]::text[],
       coalesce(h.objects, ARRAY[]::text[])
         || CASE WHEN made.class IS NULL THEN ARRAY[f.key] ELSE ARRAY[]::text[] END,
       (SELECT description FROM comments d WHERE d.classoid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.objoid = c.oid),
       'pg_catalog.pg_opclass'::pg_catalog.regclass::pg_catalog.oid, c.oid, made.class IS NOT NULL
FROM pg_catalog.pg_opclass c
JOIN ns ON ns.oid = c.opcnamespace
JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
JOIN opf f ON f.oid = c.opcfamily
LEFT JOIN held h ON h.holder_catalog = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND h.holder = c.oid
LEFT JOIN made ON made.class = c.oid
WHERE c.oid >= 16384
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND m.objid = c.oid)
UNION ALL
-- extended statistics, and the statistics target set on one
SELECT 'statistics', ns.nspname, pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(s.stxname),
       ARRAY[pg_catalog.pg_get_statisticsobjdef(s.oid)]
       || ARRAY(SELECT 'ALTER STATISTICS ' || pg_catalog.quote_ident(ns.nspname) || '.' || pg_catalog.quote_ident(s.stxname)
                       || ' SET STATISTICS ' || t.target
                -- -1 before PostgreSQL 17, NULL since: the default
                FROM (SELECT pg_catalog.to_jsonb(s) ->> 'stxstattarget' AS target) t
                WHERE t.target <> '-1'),
       ARRAY[]::text[], ARRAY[]::text[],
       ARRAY[pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(cl.relname)], ARRAY[]::text[],
       (SELECT description FROM comments c WHERE c.classoid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass AND c.objoid = s.oid),
       'pg_catalog.pg_statistic_ext'::pg_catalog.regclass::pg_catalog.oid, s.oid, false
FROM pg_catalog.pg_statistic_ext s
JOIN ns ON ns.oid = s.stxnamespace
JOIN pg_catalog.pg_class cl ON cl.oid = s.stxrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = cl.relnamespace
WHERE s.oid >= 16384
  AND NOT EXISTS (SELECT FROM member m WHERE m.classid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass AND m.objid = s.oid)
