CREATE TABLE measurements (id int NOT NULL, at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE logs (id int NOT NULL, k int NOT NULL) PARTITION BY LIST (k);
