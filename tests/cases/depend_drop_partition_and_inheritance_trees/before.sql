-- Partitioned and inheriting tables dropped: children before their parents,
-- the functions their defaults and triggers call after them.
CREATE FUNCTION today_utc() RETURNS date LANGUAGE sql STABLE RETURN (now() AT TIME ZONE 'UTC')::date;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE events (
  id bigint NOT NULL,
  day date NOT NULL DEFAULT today_utc(),
  kind text NOT NULL
) PARTITION BY RANGE (day);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (kind);
CREATE TABLE events_2024_a PARTITION OF events_2024 FOR VALUES IN ('a');
CREATE TABLE events_2024_rest PARTITION OF events_2024 DEFAULT;
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TRIGGER events_touch BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE animals (id int PRIMARY KEY, name text);
CREATE TABLE dogs (barks boolean DEFAULT true) INHERITS (animals);
CREATE TABLE puppies (age_weeks int) INHERITS (dogs);
CREATE TABLE kept (id int PRIMARY KEY);
