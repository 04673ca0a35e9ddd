-- the identity index's column goes: the index is dropped (after the identity moves off it)
-- before the column, whose drop would take it along
CREATE TABLE t (id int PRIMARY KEY, note text);
ALTER TABLE t REPLICA IDENTITY FULL;
CREATE TABLE u (id int PRIMARY KEY);
