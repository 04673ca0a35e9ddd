-- the same index name, built again over other columns: the identity is set again after it
CREATE TABLE events (id int NOT NULL, source text NOT NULL, seq int NOT NULL, body text);
CREATE UNIQUE INDEX events_ident ON events (id);
ALTER TABLE events REPLICA IDENTITY USING INDEX events_ident;
-- a unique constraint dropped and added again with the same name
CREATE TABLE items (id int NOT NULL, code text NOT NULL, CONSTRAINT items_code_key UNIQUE (code, id));
ALTER TABLE items REPLICA IDENTITY USING INDEX items_code_key;
