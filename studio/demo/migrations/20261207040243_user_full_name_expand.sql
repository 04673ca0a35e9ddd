-- user_full_name (expand)
-- expand/contract: public.users.name: rename to full_name
-- contract migration: 20261207040244_user_full_name_contract
-- version: 20261207040243
-- tool: schema-studio 0.1.0
-- schema-before: 0fc6e5f3e72ff178
-- schema-studio:phase expand

-- schema-studio:step
-- expand: add column public.users.full_name character varying(255) and the trigger keeping it in sync with name
-- lock: ACCESS EXCLUSIVE on public.users, catalog only (nullable, no default: no rewrite)
ALTER TABLE public.users ADD COLUMN full_name character varying(255);
CREATE FUNCTION public.users_full_name_sync() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
  -- the backfill writes both sides itself
  IF current_setting('schema_studio.backfill', true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.full_name IS NULL THEN
      NEW.full_name := NEW.name::character varying(255);
    ELSE
      NEW.name := NEW.full_name::character varying(255);
    END IF;
  ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
    NEW.name := NEW.full_name::character varying(255);
  ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
    NEW.full_name := NEW.name::character varying(255);
  END IF;
  RETURN NEW;
END
$sync$;
CREATE TRIGGER users_full_name_sync BEFORE INSERT OR UPDATE OF name, full_name ON public.users FOR EACH ROW EXECUTE FUNCTION public.users_full_name_sync();

-- schema-studio:step
-- schema-studio:backfill
-- backfill public.users.full_name from name
-- backfill table=public.users key=id batch_size=10000
-- each batch: its own short transaction under lock_timeout (ROW EXCLUSIVE, row locks of the batch)
UPDATE public.users SET full_name = name::character varying(255)
WHERE id >= $1 AND id <= $2 AND full_name IS NULL AND name IS NOT NULL;
