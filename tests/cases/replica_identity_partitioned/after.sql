-- a partitioned table's identity is its own: REPLICA IDENTITY does not recurse
CREATE TABLE measurements (id int NOT NULL, at date NOT NULL, v int) PARTITION BY RANGE (at);
ALTER TABLE measurements REPLICA IDENTITY FULL;
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE measurements_2024 REPLICA IDENTITY NOTHING;
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE measurements_2025 REPLICA IDENTITY FULL;
CREATE TABLE logs (id int NOT NULL, k int NOT NULL) PARTITION BY LIST (k);
CREATE UNIQUE INDEX logs_ident ON logs (id, k);
ALTER TABLE logs REPLICA IDENTITY USING INDEX logs_ident;
