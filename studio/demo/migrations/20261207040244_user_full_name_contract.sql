-- user_full_name (contract)
-- expand/contract: public.users.name: rename to full_name
-- expand migration: 20261207040243_user_full_name_expand
-- apply once the expand's backfill is done and no instance of the old application version runs
-- version: 20261207040244
-- tool: schema-studio 0.1.0
-- schema-after: 99fea621c4ac48f8
-- schema-studio:phase contract

-- schema-studio:step
-- contract: drop the sync trigger, drop name
-- lock: ACCESS EXCLUSIVE on public.users, one short transaction, catalog only
DROP TRIGGER users_full_name_sync ON public.users;
DROP FUNCTION public.users_full_name_sync();
ALTER TABLE public.users DROP COLUMN name;
