-- order status as an enum (expand, down)
-- version: 20261128050500
-- tool: schema-studio 0.1.0
-- schema-after: 8b8081a5e772e707

-- schema-studio:step
-- undo expand: drop the sync trigger and public.orders.order_status
DROP TRIGGER orders_order_status_sync ON public.orders;
DROP FUNCTION public.orders_order_status_sync();
ALTER TABLE public.orders DROP COLUMN order_status;

-- schema-studio:step
-- drop enum public.order_status
DROP TYPE public.order_status;
