CREATE TABLE t (
  id int PRIMARY KEY,
  price numeric,
  cents bigint GENERATED ALWAYS AS ((price * 100)::bigint) VIRTUAL,
  body text CONSTRAINT t_body_required NOT NULL,
  rating int
);
ALTER TABLE t ADD CONSTRAINT t_rating_nn NOT NULL rating NOT VALID;
CREATE TABLE u (id int, n int CONSTRAINT u_n_nn NOT NULL);
ALTER TABLE u ADD CONSTRAINT u_id_nn NOT NULL id NOT VALID;
