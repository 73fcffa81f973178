COPY customer (id, name, city) FROM stdin;
1	Ada	London
2	Grace	New York
3	Linus	Helsinki
\.
