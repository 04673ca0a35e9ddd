-- index orders by user and date
-- version: 20261128041609
-- tool: schema-studio 0.1.0
-- schema-before: 0022a32fc32ce368
-- schema-after: 8b8081a5e772e707

-- schema-studio:step
-- schema-studio:no-transaction
-- create index orders_user_id_created_at_idx on public.orders
CREATE INDEX CONCURRENTLY orders_user_id_created_at_idx ON public.orders USING btree (user_id, created_at);
