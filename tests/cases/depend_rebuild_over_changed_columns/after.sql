-- What reads a column whose type changes or that is dropped goes first and
-- comes back after: views (and views over them), policies, triggers with a
-- WHEN or UPDATE OF, SQL-standard function bodies.
CREATE TABLE accounts (
  id int PRIMARY KEY,
  owner_name text NOT NULL,
  balance bigint NOT NULL DEFAULT 0
);
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE VIEW rich AS SELECT id, owner_name, balance FROM accounts WHERE balance > 1000;
CREATE VIEW rich_names AS SELECT owner_name FROM rich;
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON accounts USING (owner_name = current_user);
CREATE POLICY positive ON accounts FOR UPDATE USING (balance >= 0);
CREATE TRIGGER balance_audit AFTER UPDATE OF balance ON accounts FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance) EXECUTE FUNCTION audit();
CREATE FUNCTION total_balance() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(balance) FROM accounts; END;
