CREATE TABLE a (id int, tenant int, CONSTRAINT a_pkey PRIMARY KEY (id));
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id));
