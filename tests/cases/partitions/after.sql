CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, source text DEFAULT 'app') PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE TABLE events_old (id bigint NOT NULL, at date NOT NULL, kind text, source text DEFAULT 'app');
CREATE INDEX events_kind_idx ON events (kind);
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
CREATE TABLE regrouped (id int, k int) PARTITION BY RANGE (k);
