CREATE TABLE parent (id int PRIMARY KEY, code text);
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int,
  amount int,
  note text,
  CONSTRAINT child_amount_check CHECK (amount >= 0),
  CONSTRAINT child_note_check CHECK (note <> ''),
  CONSTRAINT child_note_key UNIQUE (note)
);
ALTER TABLE child ADD CONSTRAINT child_amount_cap CHECK (amount < 1000) NOT VALID;
INSERT INTO parent VALUES (1, 'x');
INSERT INTO child VALUES (1, 1, 5, 'x');
