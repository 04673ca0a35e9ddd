CREATE TABLE p (id integer NOT NULL, k integer NOT NULL, v text) PARTITION BY RANGE (k);
CREATE TABLE p_0 (id integer NOT NULL, k integer NOT NULL, v text);
