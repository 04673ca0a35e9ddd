BEGIN;
-- drop check child_amount_check on public.child
ALTER TABLE public.child DROP CONSTRAINT child_amount_check;
-- drop check child_note_check on public.child
ALTER TABLE public.child DROP CONSTRAINT child_note_check;
-- drop unique child_note_key on public.child
ALTER TABLE public.child DROP CONSTRAINT child_note_key;
-- add check child_amount_check on public.child
ALTER TABLE public.child ADD CONSTRAINT child_amount_check CHECK ((amount > 0));
-- add exclusion child_parent_excl on public.child
ALTER TABLE public.child ADD CONSTRAINT child_parent_excl EXCLUDE USING btree (id WITH =);
-- add unique parent_code_key on public.parent
ALTER TABLE public.parent ADD CONSTRAINT parent_code_key UNIQUE (code);
-- add foreign key child_code_fk on public.child
ALTER TABLE public.child ADD CONSTRAINT child_code_fk FOREIGN KEY (note) REFERENCES public.parent(code) MATCH FULL DEFERRABLE INITIALLY DEFERRED;
-- add foreign key child_parent_id_fkey on public.child
ALTER TABLE public.child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.parent(id) ON UPDATE SET NULL ON DELETE CASCADE;
-- validate constraint child_amount_cap on public.child
ALTER TABLE public.child VALIDATE CONSTRAINT child_amount_cap;
COMMIT;
