CREATE TABLE t (id int PRIMARY KEY, owner_name text);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE TABLE u (id int) WITH (fillfactor = 80, autovacuum_enabled = false);
CREATE TABLE cache (k text);
CREATE UNLOGGED TABLE scratch (k text);
CREATE POLICY p_read ON t FOR SELECT TO pg_monitor USING (owner_name = session_user);
CREATE POLICY p_kind ON t AS RESTRICTIVE FOR UPDATE USING (true) WITH CHECK (id > 0);
CREATE POLICY p_new ON t FOR INSERT WITH CHECK (id > 0);
