CREATE SCHEMA gone;
CREATE TABLE gone.t (id int);
CREATE SCHEMA kept;
