CREATE TABLE notes (id int NOT NULL, body text);
CREATE TABLE pinned (pinned_at timestamptz) INHERITS (notes);
CREATE TABLE loose (id int NOT NULL, body text, extra int);
