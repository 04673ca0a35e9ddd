-- PostgreSQL 18+: constraint_text_15.sql, and neither NOT ENFORCED nor
-- WITHOUT OVERLAPS / PERIOD (conperiod), which came with 18.
NOT con.condeferrable AND con.convalidated AND con.conenforced AND NOT con.conperiod
AND CASE con.contype
      WHEN 'f' THEN ref.oid IS NOT NULL AND con.confdelsetcols IS NULL
      WHEN 'p' THEN ix.indnatts = ix.indnkeyatts
      WHEN 'u' THEN ix.indnatts = ix.indnkeyatts AND NOT ix.indnullsnotdistinct
      ELSE false END
