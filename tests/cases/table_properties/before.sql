CREATE TABLE t (id int PRIMARY KEY, owner_name text);
CREATE TABLE u (id int) WITH (fillfactor = 70);
CREATE UNLOGGED TABLE cache (k text);
CREATE POLICY gone ON t USING (true);
CREATE POLICY p_read ON t FOR SELECT USING (owner_name = current_user);
CREATE POLICY p_kind ON t FOR UPDATE USING (true);
