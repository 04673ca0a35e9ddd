CREATE TABLE people (id int PRIMARY KEY, email text NOT NULL, name text);
