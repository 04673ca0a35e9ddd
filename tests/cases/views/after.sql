CREATE TABLE orders (id int PRIMARY KEY, customer int, total bigint, note text);
CREATE VIEW totals AS SELECT customer, sum(total) AS total FROM orders GROUP BY customer;
CREATE VIEW big AS SELECT customer FROM totals WHERE total > 100;
CREATE VIEW notes WITH (security_barrier) AS SELECT id, note FROM orders;
CREATE VIEW changed AS SELECT id, note FROM orders WHERE id > 0;
CREATE VIEW fresh AS SELECT b.customer FROM big b;
COMMENT ON VIEW notes IS 'all notes';
