-- The tables each publication sends to its logical subscribers (FOR ALL TABLES and FOR
-- TABLES IN SCHEMA expanded to the tables they hold now), for the published-table hazard.
SELECT schemaname, tablename, pubname
  FROM pg_catalog.pg_publication_tables
 ORDER BY 1, 2, 3
