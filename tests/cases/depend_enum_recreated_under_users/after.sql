-- An enum losing a label is recreated (renamed away, created, columns re-cast,
-- the old one dropped): what names the type or reads its columns goes before
-- and comes back after, so the old type can be dropped.
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE people (id int PRIMARY KEY, mood mood NOT NULL DEFAULT 'sad', note text);
CREATE FUNCTION is_happy(m mood) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN m = 'happy';
CREATE FUNCTION note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER people_mood AFTER UPDATE OF mood ON people FOR EACH ROW WHEN (OLD.mood IS DISTINCT FROM NEW.mood) EXECUTE FUNCTION note_change();
CREATE VIEW happy_people AS SELECT id FROM people WHERE is_happy(mood);
