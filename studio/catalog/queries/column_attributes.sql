-- What pg_dump writes as ALTER COLUMN SET STATISTICS / SET STORAGE / SET (...), each
-- only when not the default, so a plain column's row stays as it was. Included by
-- every columns variant (compression, 14+, comes after it in the variant).
-- attstattarget: -1 until 16, NULL from 17 when not set; 0 is a real target (no statistics)
       CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::int END AS statistics,
       CASE WHEN a.attstorage <> t.typstorage THEN
         CASE a.attstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external'
                           WHEN 'x' THEN 'extended' WHEN 'm' THEN 'main' END END AS storage,
       CASE WHEN a.attstorage <> t.typstorage THEN
         CASE t.typstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external'
                           WHEN 'x' THEN 'extended' WHEN 'm' THEN 'main' END END AS type_storage,
       a.attoptions AS options,
