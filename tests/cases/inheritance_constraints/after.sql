CREATE TABLE p (id int NOT NULL, n int CONSTRAINT n_pos CHECK (n > 0), CONSTRAINT p_only CHECK (id > 0) NO INHERIT);
CREATE TABLE c (extra text, CONSTRAINT c_own CHECK (extra <> '')) INHERITS (p);
CREATE TABLE c2 (n int CONSTRAINT n_pos CHECK (n > 0), id int NOT NULL);
ALTER TABLE c2 INHERIT p;
