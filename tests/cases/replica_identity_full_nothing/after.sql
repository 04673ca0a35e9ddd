CREATE TABLE to_full (id int PRIMARY KEY, note text);
ALTER TABLE to_full REPLICA IDENTITY FULL;
CREATE TABLE to_nothing (id int PRIMARY KEY, note text);
ALTER TABLE to_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE to_default (id int PRIMARY KEY, note text);
CREATE TABLE kept (id int PRIMARY KEY);
ALTER TABLE kept REPLICA IDENTITY FULL;
-- a new table: its replica identity follows its CREATE TABLE
CREATE TABLE audit (at timestamptz, what text);
ALTER TABLE audit REPLICA IDENTITY FULL;
