-- The default btree operator classes without an options support function
-- (BTOPTIONS_PROC, 5): an index column of one of these, on a column of its
-- exact type, is printed by pg_get_indexdef without a class name or options.
SELECT o.oid, o.opcintype
FROM pg_catalog.pg_opclass o
JOIN pg_catalog.pg_am am ON am.oid = o.opcmethod
WHERE am.amname = 'btree' AND o.opcdefault
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_amproc p
                  WHERE p.amprocfamily = o.opcfamily AND p.amprocnum = 5)
