-- from one index to another; the old one dropped
CREATE TABLE users (id int NOT NULL, login text NOT NULL, email text NOT NULL);
CREATE UNIQUE INDEX users_email_key ON users (email);
ALTER TABLE users REPLICA IDENTITY USING INDEX users_email_key;
-- the identity index dropped and the identity back to DEFAULT: dropping the index alone
-- would leave relreplident 'i', which PostgreSQL treats as NOTHING
CREATE TABLE sessions (id int NOT NULL, token text NOT NULL);
-- the identity index kept, the identity FULL
CREATE TABLE devices (id int NOT NULL, serial text NOT NULL);
CREATE UNIQUE INDEX devices_serial_key ON devices (serial);
ALTER TABLE devices REPLICA IDENTITY FULL;
