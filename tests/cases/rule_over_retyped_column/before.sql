CREATE TABLE t (id bigint PRIMARY KEY, v int);
CREATE TABLE t_log (id int, v text);
CREATE RULE t_guard AS ON UPDATE TO t WHERE old.id < 0 DO INSTEAD NOTHING;
CREATE RULE t_audit AS ON DELETE TO t DO ALSO INSERT INTO t_log (id, v) VALUES (old.v, 'gone');
INSERT INTO t VALUES (1, 2);
