CREATE TABLE t (
  a integer DEFAULT 12,
  b text DEFAULT '0',
  c timestamptz,
  d varchar(20),
  e uuid,
  f integer,
  g jsonb,
  h inet
);
