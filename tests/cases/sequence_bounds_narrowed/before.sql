-- current values the new bounds leave out: PostgreSQL refuses the bare ALTER SEQUENCE
CREATE SEQUENCE raised_min;
SELECT nextval('raised_min') FROM generate_series(1, 3);
CREATE SEQUENCE lowered_max MAXVALUE 1000;
SELECT nextval('lowered_max') FROM generate_series(1, 50);
CREATE SEQUENCE moved_range AS integer MAXVALUE 100;
SELECT nextval('moved_range');
CREATE SEQUENCE down INCREMENT BY -1;
SELECT nextval('down') FROM generate_series(1, 5);
CREATE SEQUENCE untouched MINVALUE 1 MAXVALUE 500;
