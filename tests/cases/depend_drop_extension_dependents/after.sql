-- Extensions dropped: the columns of their types, the indexes with their
-- operator classes and the functions calling theirs go before DROP EXTENSION.
CREATE TABLE users (
  id int PRIMARY KEY,
  email text NOT NULL,
  name text,
  nicknames text[],
  during tstzrange
);
CREATE VIEW user_emails AS SELECT id, email FROM users;
