-- order status as an enum (contract)
-- expand/contract: public.orders.status: rename to order_status, type character varying(50) -> public.order_status
-- expand migration: 20261128050500_order_status_as_an_enum_expand
-- apply once the expand's backfill is done and no instance of the old application version runs
-- version: 20261128050501
-- tool: schema-studio 0.1.0
-- schema-after: a134771d746c609c
-- schema-studio:phase contract

-- schema-studio:step
-- contract: drop the sync trigger, drop status, set the default
-- lock: ACCESS EXCLUSIVE on public.orders, one short transaction, catalog only
DROP TRIGGER orders_order_status_sync ON public.orders;
DROP FUNCTION public.orders_order_status_sync();
ALTER TABLE public.orders DROP COLUMN status;
ALTER TABLE public.orders ALTER COLUMN order_status SET DEFAULT 'pending'::public.order_status;
