-- ALTER COLUMN TYPE without COLLATE gives the new type's default collation: a collation
-- that stays is said again, and none is said for a type that has none
CREATE COLLATION posix2 (provider = libc, locale = 'POSIX');
CREATE TABLE t (
  id int PRIMARY KEY,
  kept varchar(50) COLLATE posix2,
  reset varchar(50),
  gone date,
  added text COLLATE posix2
);
