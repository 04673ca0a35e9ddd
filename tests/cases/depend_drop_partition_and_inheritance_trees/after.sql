-- Partitioned and inheriting tables dropped: children before their parents,
-- the functions their defaults and triggers call after them.
CREATE TABLE kept (id int PRIMARY KEY);
