-- Aggregates in scope, with what CREATE AGGREGATE needs (pg_get_functiondef
-- rejects aggregates, so the definition is rebuilt from pg_aggregate).
WITH ns AS (
--@include scope
), fn AS NOT MATERIALIZED (
  SELECT f.oid, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(f.proname) AS name
  FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
)
SELECT p.oid, ns.nspname AS schema, p.proname AS name,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_catalog.pg_get_function_arguments(p.oid) AS signature,
       pg_catalog.pg_get_function_result(p.oid) AS returns,
       a.aggkind::text AS aggkind,
       (SELECT name FROM fn WHERE fn.oid = a.aggtransfn) AS sfunc,
       pg_catalog.format_type(a.aggtranstype, NULL) AS stype,
       a.aggtransspace AS sspace,
       (SELECT name FROM fn WHERE fn.oid = a.aggfinalfn) AS finalfunc,
       a.aggfinalextra AS finalfunc_extra, a.aggfinalmodify::text AS finalfunc_modify,
       (SELECT name FROM fn WHERE fn.oid = a.aggcombinefn) AS combinefunc,
       (SELECT name FROM fn WHERE fn.oid = a.aggserialfn) AS serialfunc,
       (SELECT name FROM fn WHERE fn.oid = a.aggdeserialfn) AS deserialfunc,
       a.agginitval AS initcond,
       (SELECT name FROM fn WHERE fn.oid = a.aggmtransfn) AS msfunc,
       (SELECT name FROM fn WHERE fn.oid = a.aggminvtransfn) AS minvfunc,
       CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mstype,
       a.aggmtransspace AS msspace,
       (SELECT name FROM fn WHERE fn.oid = a.aggmfinalfn) AS mfinalfunc,
       a.aggmfinalextra AS mfinalfunc_extra, a.aggmfinalmodify::text AS mfinalfunc_modify,
       a.aggminitval AS minitcond,
       CASE WHEN a.aggsortop <> 0 THEN
         (SELECT 'OPERATOR(' || pg_catalog.quote_ident(n.nspname) || '.' || o.oprname || ')'
            FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
           WHERE o.oid = a.aggsortop) END AS sortop,
       p.proparallel::text AS parallel,
       d.description AS comment
FROM pg_catalog.pg_proc p
JOIN ns ON ns.oid = p.pronamespace
JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0
WHERE p.prokind = 'a'
  AND NOT EXISTS (
    SELECT FROM pg_catalog.pg_depend x
    WHERE x.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND x.objid = p.oid AND x.deptype = 'e')
