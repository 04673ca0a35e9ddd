-- PostgreSQL 15 to 17: constraint_text.sql, and not UNIQUE NULLS NOT DISTINCT
-- nor ON DELETE SET NULL / SET DEFAULT (columns), which came with 15.
NOT con.condeferrable AND con.convalidated
AND CASE con.contype
      WHEN 'f' THEN ref.oid IS NOT NULL AND con.confdelsetcols IS NULL
      WHEN 'p' THEN ix.indnatts = ix.indnkeyatts
      WHEN 'u' THEN ix.indnatts = ix.indnkeyatts AND NOT ix.indnullsnotdistinct
      ELSE false END
