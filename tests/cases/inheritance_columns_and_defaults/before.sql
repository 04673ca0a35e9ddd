CREATE TABLE p (id int NOT NULL, n int DEFAULT 1, gone text);
CREATE TABLE c (extra text) INHERITS (p);
INSERT INTO c (id, extra) VALUES (1, 'x');
