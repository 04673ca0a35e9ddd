CREATE COLLATION posix2 (provider = libc, locale = 'POSIX');
CREATE TABLE t (
  id int PRIMARY KEY,
  kept text COLLATE posix2,
  reset text COLLATE posix2,
  gone varchar(20) COLLATE posix2,
  added varchar(20)
);
INSERT INTO t VALUES (1, 'a', 'b', '2024-01-01', 'c');
