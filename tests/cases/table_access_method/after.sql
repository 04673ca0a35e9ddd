CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE moved (id int PRIMARY KEY, note text) USING heap2;
CREATE TABLE back (id int);
CREATE TABLE fresh (id int) USING heap2 WITH (fillfactor = 70);
