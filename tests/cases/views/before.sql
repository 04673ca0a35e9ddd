CREATE TABLE orders (id int PRIMARY KEY, customer int, total int, note text);
CREATE VIEW totals AS SELECT customer, sum(total) AS total FROM orders GROUP BY customer;
CREATE VIEW big AS SELECT customer FROM totals WHERE total > 100;
CREATE VIEW notes AS SELECT id, note FROM orders;
CREATE VIEW gone AS SELECT 1 AS one;
CREATE VIEW changed AS SELECT id FROM orders;
COMMENT ON VIEW notes IS 'notes';
