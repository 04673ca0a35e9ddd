CREATE TABLE a (id int, body text) WITH (fillfactor = 90, toast.autovacuum_enabled = false);
CREATE TABLE b (id int, body text);
CREATE UNLOGGED TABLE c (id int, body text) WITH (toast.vacuum_truncate = false);
