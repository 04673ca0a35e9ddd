-- a second table access method over heap's handler: the one core PostgreSQL can make
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE moved (id int PRIMARY KEY, note text);
INSERT INTO moved VALUES (1, 'kept');
CREATE TABLE back (id int) USING heap2;
