"""The commands stage: one module per use case, the only API of both faces (docs/architecture.md).

Each use case takes `Settings` and plain values and returns data; printing,
asking and drawing are the faces' job (alembic's command.py shape).

- inspect: the live schema; diff: two sources compared; pull: models of the live schema
- generate: a new migration written; check: the CI gate; push: a dev database to the declared
- migrate: apply, dry runs, backfills; rollback: the down files; baseline: history without SQL
- status: the files against the history; files: the migrations directory
- lint: hazards of SQL or of pending migrations; trace: the locks statements really take
- preview: the steps' locks, sizes and estimates on the target
- shared by the use cases above: target (the target's URL, checked, and its history),
  schemas (the managed schemas of both sides)
"""
