-- A tiny shop: customers and their orders.
CREATE TABLE customer (
  id    int PRIMARY KEY,
  name  text NOT NULL,
  city  text NOT NULL
);

CREATE TABLE orders (
  id          int PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customer (id),
  placed_on   date NOT NULL,
  total       numeric(10, 2) NOT NULL CHECK (total >= 0)
);

CREATE INDEX orders_customer ON orders (customer_id);
