-- the parent's storage changes alone (ONLY): its partitions keep theirs
CREATE TABLE m (id int NOT NULL, at date NOT NULL, payload text) PARTITION BY RANGE (at);
ALTER TABLE m ALTER COLUMN payload SET STORAGE MAIN, ALTER COLUMN payload SET STATISTICS 300;
CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY m_2024 ALTER COLUMN payload SET STORAGE EXTENDED;
-- a new partition copies its parent's storage when created: said explicitly
CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ONLY m_2025 ALTER COLUMN payload SET STORAGE EXTERNAL;
-- an inheritance child copies storage and compression too
CREATE TABLE base (id int, body text);
ALTER TABLE base ALTER COLUMN body SET STORAGE MAIN, ALTER COLUMN body SET COMPRESSION pglz;
CREATE TABLE child (extra int) INHERITS (base);
ALTER TABLE ONLY child ALTER COLUMN body SET STORAGE EXTENDED, ALTER COLUMN body SET COMPRESSION default;
