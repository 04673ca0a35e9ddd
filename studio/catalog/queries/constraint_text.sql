-- PostgreSQL 13 and 14. True for a constraint whose pg_get_constraintdef text
-- studio.catalog.tables writes itself from the key's column names, for its
-- plain shapes only: PRIMARY KEY (cols), UNIQUE (cols), and FOREIGN KEY (cols)
-- REFERENCES table(cols) [MATCH ...] [ON UPDATE ...] [ON DELETE ...] to a table
-- in scope; never deferrable, NOT VALID, or with INCLUDE columns. The function
-- fills a catalog cache entry per table, index and column it names, which at
-- thousands of tables costs more than the rest of the query.
NOT con.condeferrable AND con.convalidated
AND CASE con.contype
      WHEN 'f' THEN ref.oid IS NOT NULL
      WHEN 'p' THEN ix.indnatts = ix.indnkeyatts
      WHEN 'u' THEN ix.indnatts = ix.indnkeyatts
      ELSE false END
