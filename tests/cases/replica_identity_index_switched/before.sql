CREATE TABLE users (id int NOT NULL, login text NOT NULL, email text NOT NULL);
CREATE UNIQUE INDEX users_login_key ON users (login);
ALTER TABLE users REPLICA IDENTITY USING INDEX users_login_key;
CREATE TABLE sessions (id int NOT NULL, token text NOT NULL);
CREATE UNIQUE INDEX sessions_token_key ON sessions (token);
ALTER TABLE sessions REPLICA IDENTITY USING INDEX sessions_token_key;
CREATE TABLE devices (id int NOT NULL, serial text NOT NULL);
CREATE UNIQUE INDEX devices_serial_key ON devices (serial);
ALTER TABLE devices REPLICA IDENTITY USING INDEX devices_serial_key;
