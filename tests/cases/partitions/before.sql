CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2023-01-01');
CREATE TABLE events_2024 (id bigint NOT NULL, at date NOT NULL, kind text);
CREATE TABLE regrouped (id int, k int) PARTITION BY LIST (k);
INSERT INTO events VALUES (1, '2023-05-01', 'a');
