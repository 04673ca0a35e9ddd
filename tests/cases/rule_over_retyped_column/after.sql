-- PostgreSQL refuses to re-type a column a rule reads: the rules go before and come back after
CREATE TABLE t (id integer PRIMARY KEY, v bigint);
CREATE TABLE t_log (id bigint, v text);
CREATE RULE t_guard AS ON UPDATE TO t WHERE old.id < 0 DO INSTEAD NOTHING;
CREATE RULE t_audit AS ON DELETE TO t DO ALSO INSERT INTO t_log (id, v) VALUES (old.v, 'gone');
