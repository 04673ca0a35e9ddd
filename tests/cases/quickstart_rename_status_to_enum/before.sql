CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(255) NOT NULL UNIQUE,
  name varchar(255),
  created_at timestamp DEFAULT now() NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id int NOT NULL REFERENCES users,
  total int NOT NULL,
  status varchar(50) DEFAULT 'pending',
  created_at timestamp DEFAULT now() NOT NULL
);
INSERT INTO users (email) VALUES ('a@example.com');
INSERT INTO orders (user_id, total, status) VALUES (1, 10, 'pending'), (1, 20, 'shipped');
