-- the TOAST table's storage parameters, with the table's own
CREATE TABLE a (id int, body text) WITH (fillfactor = 90);
CREATE TABLE b (id int, body text) WITH (toast.autovacuum_vacuum_scale_factor = 0.05, toast.autovacuum_enabled = true);
CREATE TABLE c (id int, body text) WITH (toast.vacuum_truncate = true);
CREATE TABLE d (id int, body text) WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false);
ALTER TABLE d FORCE ROW LEVEL SECURITY;
