-- The columns of the given tables (and of the tables their foreign keys reference), for synthetic
-- rows: type (a domain's base type), nullability, default, identity, generated.
WITH RECURSIVE tables(oid) AS (
    SELECT c.oid FROM pg_class c WHERE c.oid = ANY($1::oid[]) AND c.relkind IN ('r', 'p')
    UNION
    SELECT con.confrelid FROM pg_constraint con JOIN tables t ON con.conrelid = t.oid
    WHERE con.contype = 'f'
)
SELECT c.oid::int8 AS oid,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table_name,
       c.relkind::text AS kind,
       quote_ident(a.attname) AS column_name,
       format_type(coalesce(nullif(ty.typbasetype, 0), a.atttypid),
                   CASE WHEN ty.typbasetype <> 0 THEN ty.typtypmod ELSE a.atttypmod END) AS base_type,
       format_type(a.atttypid, a.atttypmod) AS type,
       coalesce(bt.typtype, ty.typtype)::text AS typtype,
       coalesce(bt.typcategory, ty.typcategory)::text AS category,
       a.attnotnull OR (ty.typtype = 'd' AND ty.typnotnull) AS not_null,
       a.atthasdef AS has_default,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS sequence
FROM tables t
JOIN pg_class c ON c.oid = t.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = ty.typbasetype AND ty.typtype = 'd'
ORDER BY c.oid, a.attnum
