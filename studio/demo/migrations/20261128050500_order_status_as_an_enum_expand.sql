-- order status as an enum (expand)
-- expand/contract: public.orders.status: rename to order_status, type character varying(50) -> public.order_status
-- contract migration: 20261128050501_order_status_as_an_enum_contract
-- version: 20261128050500
-- tool: schema-studio 0.1.0
-- schema-before: 8b8081a5e772e707
-- schema-studio:phase expand

-- schema-studio:step
-- create enum public.order_status
CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');

-- schema-studio:step
-- expand: add column public.orders.order_status public.order_status and the trigger keeping it in sync with status
-- lock: ACCESS EXCLUSIVE on public.orders, catalog only (nullable, no default: no rewrite)
ALTER TABLE public.orders ADD COLUMN order_status public.order_status;
CREATE FUNCTION public.orders_order_status_sync() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
  -- the backfill writes both sides itself
  IF current_setting('schema_studio.backfill', true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.order_status IS NULL THEN
      NEW.order_status := NEW.status::public.order_status;
    ELSE
      NEW.status := NEW.order_status::character varying(50);
    END IF;
  ELSIF NEW.order_status IS DISTINCT FROM OLD.order_status THEN
    NEW.status := NEW.order_status::character varying(50);
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    NEW.order_status := NEW.status::public.order_status;
  END IF;
  RETURN NEW;
END
$sync$;
CREATE TRIGGER orders_order_status_sync BEFORE INSERT OR UPDATE OF status, order_status ON public.orders FOR EACH ROW EXECUTE FUNCTION public.orders_order_status_sync();

-- schema-studio:step
-- schema-studio:backfill
-- backfill public.orders.order_status from status
-- backfill table=public.orders key=id batch_size=10000
-- each batch: its own short transaction under lock_timeout (ROW EXCLUSIVE, row locks of the batch)
UPDATE public.orders SET order_status = status::public.order_status
WHERE id >= $1 AND id <= $2 AND order_status IS NULL AND status IS NOT NULL;
