-- the parent gains x: one child declares it too (added there first, the parent's ADD
-- COLUMN merges into it), the other only inherits it
CREATE TABLE gains (id int, x int);
CREATE TABLE gains_own (x int) INHERITS (gains);
CREATE TABLE gains_inherited () INHERITS (gains);
-- new children: a column declared and inherited; one only inherited, NOT NULL on the
-- child alone; one only inherited with a default of its own
CREATE TABLE keeps (id int, a int);
CREATE TABLE keeps_own (a int, b text) INHERITS (keeps);
CREATE TABLE keeps_nn () INHERITS (keeps);
ALTER TABLE keeps_nn ALTER COLUMN a SET NOT NULL;
CREATE TABLE keeps_nn_own (a int NOT NULL) INHERITS (keeps);
CREATE TABLE keeps_default () INHERITS (keeps);
ALTER TABLE keeps_default ALTER COLUMN a SET DEFAULT 3;
