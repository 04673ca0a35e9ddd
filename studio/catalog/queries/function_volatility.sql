-- The volatility of the target's own functions (and its extensions'), by name: lint resolves
-- an ADD COLUMN default's calls with it. Overloads differ by argument types lint does not know:
-- the most volatile answers ('i' < 's' < 'v').
SELECT p.proname AS name, max(p.provolatile::text) AS volatility
FROM pg_catalog.pg_proc p
WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  AND p.prokind = 'f'
GROUP BY p.proname
