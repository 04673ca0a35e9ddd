"""Schema sources: a live database, or a declared schema materialized on the dev server.

spec: what a source is (`parse_source`; `parse_sources` for a composite declared
schema of models and SQL files) and what reading one gives (`Loaded`);
load: `load()`, the one entry point, and `concurrently()` for two sides at once;
live: a database URL read in place; declared: each declared kind's files and
DDL (the user's SQLAlchemy models, SQL files, the migrations replayed);
materialize: that DDL run in batches, failures named by file and line;
cache: materializations kept by key; devdb/: the local PostgreSQL clusters and
the dev server's throwaway databases (devdb.lease).
"""
