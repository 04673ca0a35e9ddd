CREATE TABLE accounts (id int NOT NULL, email text NOT NULL, note text);
