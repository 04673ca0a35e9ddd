CREATE TABLE t (id int PRIMARY KEY, price numeric, body text NOT NULL, rating int);
