-- Domains over a table's row type and columns of row types: the tables
-- come first, whatever the names say.
CREATE TABLE zz_points (x int NOT NULL, y int NOT NULL);
CREATE DOMAIN a_point AS zz_points CHECK ((VALUE).x >= 0);
CREATE DOMAIN a_points AS zz_points[];
CREATE TABLE a_shapes (id int PRIMARY KEY, origin a_point, corners a_points, raw zz_points);
CREATE VIEW a_origins AS SELECT id, (origin).x AS x FROM a_shapes;
