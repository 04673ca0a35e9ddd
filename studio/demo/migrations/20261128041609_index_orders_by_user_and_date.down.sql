-- index orders by user and date (down)
-- version: 20261128041609
-- tool: schema-studio 0.1.0
-- schema-before: 8b8081a5e772e707
-- schema-after: 0022a32fc32ce368

-- schema-studio:step
-- schema-studio:no-transaction
-- drop index orders_user_id_created_at_idx on public.orders
DROP INDEX CONCURRENTLY public.orders_user_id_created_at_idx;
