CREATE TABLE p (id int NOT NULL, n int);
CREATE TABLE c (extra text) INHERITS (p);
CREATE TABLE c2 (n int CONSTRAINT n_pos CHECK (n > 0), id int NOT NULL);
