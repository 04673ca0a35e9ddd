CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int REFERENCES parent ON DELETE CASCADE ON UPDATE SET NULL,
  amount int,
  note text,
  CONSTRAINT child_amount_check CHECK (amount > 0),
  CONSTRAINT child_amount_cap CHECK (amount < 1000),
  CONSTRAINT child_code_fk FOREIGN KEY (note) REFERENCES parent (code) MATCH FULL DEFERRABLE INITIALLY DEFERRED
);
ALTER TABLE child ADD CONSTRAINT child_parent_excl EXCLUDE USING btree (id WITH =);
