"""Local PostgreSQL clusters for the dev database and the tests, run by this tool itself."""
