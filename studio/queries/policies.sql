WITH ns AS (
--@include scope
), rel AS (
--@include relations
)
SELECT p.polrelid AS table_oid, p.polname AS name, p.polcmd::text AS command,
       p.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r.oid) END
             FROM pg_catalog.unnest(p.polroles) r(oid) ORDER BY 1) AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
FROM pg_catalog.pg_policy p
JOIN rel ON rel.oid = p.polrelid
