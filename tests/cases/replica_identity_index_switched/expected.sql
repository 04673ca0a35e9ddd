BEGIN;
-- create unique index users_email_key on public.users
CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email);
-- set replica identity of public.devices to full
ALTER TABLE public.devices REPLICA IDENTITY FULL;
-- set replica identity of public.sessions to default
ALTER TABLE public.sessions REPLICA IDENTITY DEFAULT;
-- drop index sessions_token_key on public.sessions
DROP INDEX public.sessions_token_key;
-- set replica identity of public.users to using index users_email_key
ALTER TABLE public.users REPLICA IDENTITY USING INDEX users_email_key;
-- drop index users_login_key on public.users
DROP INDEX public.users_login_key;
COMMIT;
