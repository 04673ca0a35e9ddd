CREATE TABLE users (id serial PRIMARY KEY);
CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users, status text);
CREATE INDEX orders_status_idx ON orders (status);
CREATE VIEW open_orders AS SELECT id FROM orders WHERE status = 'open';
INSERT INTO users DEFAULT VALUES;
INSERT INTO orders (user_id, status) VALUES (1, 'open');
