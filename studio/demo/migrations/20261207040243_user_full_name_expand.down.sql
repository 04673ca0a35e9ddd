-- user_full_name (expand, down)
-- version: 20261207040243
-- tool: schema-studio 0.1.0
-- schema-after: 0fc6e5f3e72ff178

-- schema-studio:step
-- undo expand: drop the sync trigger and public.users.full_name
DROP TRIGGER users_full_name_sync ON public.users;
DROP FUNCTION public.users_full_name_sync();
ALTER TABLE public.users DROP COLUMN full_name;
