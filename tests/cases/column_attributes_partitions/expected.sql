BEGIN;
-- create table public.child
CREATE TABLE public.child (
    extra integer
) INHERITS (public.base);
-- create table public.m_2025, to be attached to public.m
CREATE TABLE public.m_2025 (
    id integer CONSTRAINT m_id_not_null NOT NULL,
    at date CONSTRAINT m_at_not_null NOT NULL,
    payload text
);
-- attach partition public.m_2025 to public.m
ALTER TABLE public.m ATTACH PARTITION public.m_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- set compression of public.child.body to default
ALTER TABLE ONLY public.child ALTER COLUMN body SET COMPRESSION default;
-- set storage of public.child.body to extended
ALTER TABLE ONLY public.child ALTER COLUMN body SET STORAGE EXTENDED;
-- set statistics target of public.m.payload to 300
ALTER TABLE ONLY public.m ALTER COLUMN payload SET STATISTICS 300;
-- set storage of public.m.payload to main
ALTER TABLE ONLY public.m ALTER COLUMN payload SET STORAGE MAIN;
-- set storage of public.m_2024.payload to extended
ALTER TABLE ONLY public.m_2024 ALTER COLUMN payload SET STORAGE EXTENDED;
-- set storage of public.m_2025.payload to external
ALTER TABLE ONLY public.m_2025 ALTER COLUMN payload SET STORAGE EXTERNAL;
COMMIT;
