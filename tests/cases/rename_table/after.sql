CREATE SCHEMA sales;
CREATE SEQUENCE sales.orders_id_seq AS integer;
CREATE TABLE users (id serial PRIMARY KEY);
CREATE TABLE sales.purchases (id int PRIMARY KEY DEFAULT nextval('sales.orders_id_seq'), user_id int CONSTRAINT orders_user_id_fkey REFERENCES users, status text);
ALTER SEQUENCE sales.orders_id_seq OWNED BY sales.purchases.id;
ALTER TABLE sales.purchases RENAME CONSTRAINT purchases_pkey TO orders_pkey;
CREATE INDEX orders_status_idx ON sales.purchases (status);
CREATE VIEW open_orders AS SELECT id FROM sales.purchases WHERE status = 'open';
