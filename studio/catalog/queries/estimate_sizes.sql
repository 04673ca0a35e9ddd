-- Size and row estimate of each named relation, in one round trip (read-only).
-- A partitioned table's own storage is empty: its leaf partitions are summed.
-- reltuples is -1 for a relation never vacuumed or analyzed (PostgreSQL 14+).
SELECT k.name,
       c.relkind::text AS kind,
       CASE WHEN c.relkind = 'p' THEN p.rows
            WHEN c.reltuples >= 0 THEN c.reltuples::float8 END AS rows,
       CASE WHEN c.relkind = 'p' THEN p.table_bytes ELSE pg_relation_size(c.oid) END AS table_bytes,
       CASE WHEN c.relkind = 'p' THEN p.total_bytes ELSE pg_total_relation_size(c.oid) END AS total_bytes,
       CASE WHEN c.relkind = 'p' THEN p.index_bytes
            WHEN c.relkind IN ('r', 'm', 't') THEN pg_indexes_size(c.oid) ELSE 0 END AS index_bytes
FROM unnest($1::text[]) AS k(name)
JOIN pg_class c ON c.oid = to_regclass(k.name)
LEFT JOIN LATERAL (
    SELECT sum(pg_relation_size(t.relid))::bigint AS table_bytes,
           sum(pg_total_relation_size(t.relid))::bigint AS total_bytes,
           sum(pg_indexes_size(t.relid))::bigint AS index_bytes,
           CASE WHEN bool_and(pc.reltuples >= 0) THEN sum(pc.reltuples)::float8 END AS rows
    FROM pg_partition_tree(c.oid) t
    JOIN pg_class pc ON pc.oid = t.relid
    WHERE t.isleaf
) p ON c.relkind = 'p'
