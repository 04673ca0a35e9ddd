-- ALTER COLUMN TYPE gives a column its new type's storage and no compression:
-- what the target keeps is set again after it
CREATE TABLE t (id int, code text, n bigint, note varchar(100));
ALTER TABLE t ALTER COLUMN code SET STORAGE MAIN, ALTER COLUMN code SET STATISTICS 200;
ALTER TABLE t ALTER COLUMN n SET STATISTICS 10;
