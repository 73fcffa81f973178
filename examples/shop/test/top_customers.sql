-- Customers whose orders add up to at least :min_total (a psql variable from the request).
SELECT c.name, c.city, sum(o.total) AS spent, count(*) AS orders
FROM customer c JOIN orders o ON o.customer_id = c.id
GROUP BY c.id
HAVING sum(o.total) >= :min_total
ORDER BY spent DESC;
