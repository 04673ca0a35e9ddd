-- the identity index is built in the same migration: USING INDEX must wait for it
CREATE TABLE accounts (id int NOT NULL, email text NOT NULL, note text);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
ALTER TABLE accounts REPLICA IDENTITY USING INDEX accounts_email_key;
