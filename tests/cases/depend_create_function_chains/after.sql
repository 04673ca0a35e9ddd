-- Functions that call functions created in another schema, defaults,
-- checks, generated columns, policies and domains that call them: each after
-- what it calls, whatever the names and phases would say.
CREATE SCHEMA zlib;
CREATE FUNCTION zlib.clamp(x int, lo int, hi int) RETURNS int LANGUAGE sql IMMUTABLE RETURN greatest(lo, least(hi, x));
CREATE FUNCTION a_pct(x int DEFAULT zlib.clamp(50, 0, 100)) RETURNS int LANGUAGE sql IMMUTABLE RETURN zlib.clamp(x, 0, 100);
CREATE DOMAIN a_percent AS int CHECK (a_pct(VALUE) = VALUE);
CREATE TABLE plain (
  id int PRIMARY KEY,
  share a_percent DEFAULT a_pct(),
  doubled int GENERATED ALWAYS AS (zlib.clamp(id * 2, 0, 1000)) STORED,
  CONSTRAINT plain_share_check CHECK (a_pct(share) >= 0)
);
CREATE INDEX plain_pct_idx ON plain (a_pct(id));
ALTER TABLE plain ENABLE ROW LEVEL SECURITY;
CREATE POLICY plain_low ON plain USING (a_pct(id) < 90);
