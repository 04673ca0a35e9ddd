"""The sqltext stage: SQL text read with PostgreSQL's own lexer and parser (pglast), once.

- `lexer`: the lexer a window at a time, plain spans skipped, rows of constants found.
- `split`: where psql ends each statement (`statement_spans`, `StatementEnds`), and scripts
  parsed into trees with their lines (`parse_statements`).
- `syntax_errors`: pglast's errors turned into a line and a one-line message.
- `scan`: quotes and parentheses in text PostgreSQL printed (index and constraint definitions).
- `statements`: facts about one statement, read from its parse tree.

See docs/architecture.md for what this stage may import.
"""
