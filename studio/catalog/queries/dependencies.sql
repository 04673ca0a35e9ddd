-- What depends on what, from pg_depend: one row per edge between objects of
-- the database (oid >= 16384: not initdb's). The ends are given by catalog
-- and oid; studio.catalog.depend names them from the other queries' rows,
-- so this query stays one scan of pg_depend and a few small joins.
--
-- Kept: every normal dependency (what DROP refuses without CASCADE), and the
-- automatic ones of a generated column on what its expression reads (dropping
-- those drops the column silently), of a partition on its parent and of
-- extended statistics on their table's columns. Left
-- out, since the model already holds them: dependencies on schemas, internal
-- ones (a view's rule on its view, a type on its table, an identity sequence
-- on its column), an index's or constraint's automatic ones on its own
-- table's columns, an owned sequence's on its column, and a foreign key's on
-- the table and key it references.
--
-- Resolved here: a default (pg_attrdef) as its column (dep_oid the table,
-- dep_sub the column), a view's rule as the view, a type as what it stands
-- for (an array for its element; a table's row type for the table: ref_class
-- 'c'; a composite type, CREATE TYPE AS, stays a type),
-- an object an extension owns as the extension (ref_class 'e', ref_ext), and
-- anything else by pg_identify_object (class 'o': type and identity).
WITH d AS (
  SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid
  FROM pg_catalog.pg_depend d
  WHERE d.objid >= 16384 AND d.refobjid >= 16384
    AND d.refclassid <> 'pg_catalog.pg_namespace'::pg_catalog.regclass
    -- an operator family's members come and go with it
    AND d.classid NOT IN ('pg_catalog.pg_amop'::pg_catalog.regclass,
                          'pg_catalog.pg_amproc'::pg_catalog.regclass)
    AND (
      (d.deptype = 'n'
       AND NOT (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass))
      OR (d.deptype = 'a' AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
          AND (d.objsubid > 0 OR d.refobjsubid = 0)
          AND NOT (d.objid = d.refobjid AND d.objsubid = d.refobjsubid))
      -- extended statistics go with the columns they read
      OR (d.deptype = 'a' AND d.classid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass))
), ext AS MATERIALIZED (
  SELECT e.classid, e.objid, x.extname
  FROM pg_catalog.pg_depend e
  JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid
  WHERE e.deptype = 'e' AND e.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
)
SELECT CASE d.classid
         WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'c'
         WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN 'd'
         WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN 'k'
         WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN 't'
         WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN 'p'
         WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass
           THEN CASE WHEN r.rulename = '_RETURN' THEN 'c' ELSE 'r' END
         WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'f'
         WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN 'y'
         ELSE 'o' END AS dep_class,
       -- a view's rule is the view; any other rule is itself
       coalesce(ad.adrelid, CASE WHEN r.rulename = '_RETURN' THEN r.ev_class END, d.objid) AS dep_oid,
       d.classid::pg_catalog.oid AS dep_catalog,
       coalesce(ad.adnum, d.objsubid)::int AS dep_sub,
       CASE WHEN d.classid NOT IN (
              'pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_attrdef'::pg_catalog.regclass,
              'pg_catalog.pg_constraint'::pg_catalog.regclass, 'pg_catalog.pg_trigger'::pg_catalog.regclass,
              'pg_catalog.pg_policy'::pg_catalog.regclass, 'pg_catalog.pg_rewrite'::pg_catalog.regclass,
              'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass)
            THEN (SELECT ARRAY[o.type, o.schema, o.identity]
                  FROM pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid) o)
       END AS dep_identity,
       CASE WHEN rx.extname IS NOT NULL THEN 'e'
            WHEN t.typrelid <> 0 AND tc.relkind <> 'c' THEN 'c'
            ELSE CASE d.refclassid
              WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'c'
              WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN 'k'
              WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'f'
              WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN 'y'
              WHEN 'pg_catalog.pg_extension'::pg_catalog.regclass THEN 'e'
              ELSE 'o' END
       END AS ref_class,
       coalesce(CASE WHEN tc.relkind <> 'c' THEN t.typrelid END, t.oid, d.refobjid) AS ref_oid,
       d.refobjsubid::int AS ref_sub,
       d.refclassid::pg_catalog.oid AS ref_catalog,
       coalesce(rx.extname, x.extname) AS ref_ext,
       CASE WHEN rx.extname IS NULL AND d.refclassid NOT IN (
              'pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_constraint'::pg_catalog.regclass,
              'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass,
              'pg_catalog.pg_extension'::pg_catalog.regclass)
            THEN (SELECT ARRAY[o.type, o.schema, o.identity]
                  FROM pg_catalog.pg_identify_object(d.refclassid, d.refobjid, d.refobjsubid) o)
       END AS ref_identity
FROM d
LEFT JOIN pg_catalog.pg_attrdef ad
  ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND ad.oid = d.objid
LEFT JOIN pg_catalog.pg_rewrite r
  ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.oid = d.objid
-- a column's own type, for a column or its default ('a'::status on a status
-- column) that depends on a type: for an enum, domain, range or composite type
-- the model names it already (studio.diff.refs), and such edges are most of
-- pg_depend's rows in a schema whose columns use them
-- (OFFSET 0: looked up by index for these rows, not a hash of all of pg_attribute)
LEFT JOIN LATERAL (
  SELECT a.atttypid FROM pg_catalog.pg_attribute a
  WHERE d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
    AND (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
         OR (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid > 0))
    AND a.attrelid = coalesce(ad.adrelid, d.objid) AND a.attnum = coalesce(ad.adnum, d.objsubid)
  OFFSET 0
) ca ON true
LEFT JOIN pg_catalog.pg_type rt
  ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND rt.oid = d.refobjid
-- an array type stands for its element type
LEFT JOIN pg_catalog.pg_type t
  ON t.oid = CASE WHEN rt.typcategory = 'A' AND rt.typelem <> 0 THEN rt.typelem ELSE rt.oid END
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = t.typrelid
LEFT JOIN pg_catalog.pg_extension x
  ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND x.oid = d.refobjid
LEFT JOIN ext rx
  ON rx.classid = d.refclassid AND rx.objid = coalesce(t.oid, d.refobjid)
-- what an extension owns is never diffed
WHERE NOT EXISTS (SELECT FROM ext WHERE ext.classid = d.classid AND ext.objid = d.objid)
  -- (kept: a table's row type, which refs do not name, and an extension's type)
  AND NOT coalesce(ca.atttypid = d.refobjid AND rx.extname IS NULL
                   AND (t.typrelid = 0 OR tc.relkind = 'c'), false)
