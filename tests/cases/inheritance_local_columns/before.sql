-- attislocal: a child's column declared by the child itself (and inherited) or only
-- inherited. pg_dump writes the first in the child's CREATE TABLE, not the second.
CREATE TABLE gains (id int);
CREATE TABLE gains_own () INHERITS (gains);
CREATE TABLE gains_inherited () INHERITS (gains);
INSERT INTO gains_own (id) VALUES (1);
CREATE TABLE keeps (id int, a int);
