\echo loading orders
INSERT INTO orders (id, customer_id, placed_on, total) VALUES
  (10, 1, '2024-01-05', 120.50),
  (11, 1, '2024-02-11', 80.00),
  (12, 2, '2024-02-12', 310.25),
  (13, 3, '2024-03-01', 15.75),
  (14, 2, '2024-03-09', 42.00);
