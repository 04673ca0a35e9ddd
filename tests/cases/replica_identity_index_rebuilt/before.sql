CREATE TABLE events (id int NOT NULL, source text NOT NULL, seq int NOT NULL, body text);
CREATE UNIQUE INDEX events_ident ON events (source, seq);
ALTER TABLE events REPLICA IDENTITY USING INDEX events_ident;
CREATE TABLE items (id int NOT NULL, code text NOT NULL, CONSTRAINT items_code_key UNIQUE (code));
ALTER TABLE items REPLICA IDENTITY USING INDEX items_code_key;
