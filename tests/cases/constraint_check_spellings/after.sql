CREATE TYPE mood AS ENUM ('ok', 'great');
CREATE DOMAIN positive AS integer CHECK (((VALUE) > (0)));
CREATE TABLE t (
  a integer CHECK (((a) > (0))),
  b text CONSTRAINT b_known CHECK (b = ANY (ARRAY['x'::text, 'y', 'z'])),
  c numeric CHECK (CAST(c AS numeric(10,2)) > 1.5),
  d integer CHECK (d >= 1 AND d <= 10),
  e text CHECK (((length(e) > 2) AND (e <> 'none'::text)) OR (e IS NULL)),
  f timestamptz CHECK (f > CAST('2024-01-01' AS timestamptz)),
  g mood CHECK (g = ANY (ARRAY['ok'::mood, 'great'::mood])),
  h integer[] CHECK ((array_length(h, 1) <= 3)),
  p positive CHECK (p::integer <> ALL (ARRAY[3, 4]))
);
