CREATE TYPE mood AS ENUM ('meh', 'sad', 'ok', 'fine', 'happy', 'ecstatic');
CREATE TABLE t (m mood DEFAULT 'ecstatic', n mood NOT NULL DEFAULT 'fine');
