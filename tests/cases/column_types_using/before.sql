CREATE TABLE t (
  a text DEFAULT '12',
  b int DEFAULT 0,
  c timestamp,
  d varchar(200),
  e text,
  f bigint,
  g json,
  h text
);
INSERT INTO t VALUES ('42', 1, '2024-01-01 10:00', 'short', '6f1c2b1e-8f2c-4a3e-9c4b-0d5e6f7a8b9c', 5, '{"a": 1}', '10.0.0.1');
