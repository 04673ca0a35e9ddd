-- pg_get_indexdef of the indexes $1 (oid[]) whose text index_text.sql left to
-- the client but the client cannot write (a column of another type than its
-- operator class's, a collation other than the column's): NULL for one dropped.
SELECT x.oid, pg_catalog.pg_get_indexdef(x.oid) AS definition
FROM pg_catalog.unnest($1::oid[]) AS x(oid)
