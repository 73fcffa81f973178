SELECT to_char(placed_on, 'YYYY-MM') AS month, count(*) AS orders, sum(total) AS total
FROM orders
GROUP BY 1
ORDER BY 1;
