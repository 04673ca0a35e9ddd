"""Alembic autogenerate (`compare_metadata`) of a models module against a database.

    python alembic_compare.py URL PROJECT MODULE process
        import SQLAlchemy and Alembic, import the models (declare), compare: the
        process figure; prints the detected changes
    python alembic_compare.py URL PROJECT MODULE inprocess BASE_MODULE
        the same, timed in parts: declaring MODULE, the 1st compare_metadata()
        call, then a no-change check (BASE_MODULE, which matches the database)

Changes are printed as items {kind, table, name, detail}, kind being one of
add_column, drop_index, type, not_null, add_table, or `other` (with Alembic's
own op name in detail), for bench/changes.py to judge.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

url, project, module, mode = sys.argv[1:5]
sys.path.insert(0, project)

import sqlalchemy as sa  # noqa: E402
from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.migration import MigrationContext  # noqa: E402


def items(diffs):
    out = []
    for d in diffs:
        for op in d if isinstance(d, list) else [d]:
            name = op[0]
            if name == "add_table":
                out.append({"kind": "add_table", "table": op[1].name})
            elif name == "add_column":
                out.append({"kind": "add_column", "table": op[2], "name": op[3].name})
            elif name == "remove_index":
                out.append({"kind": "drop_index", "table": op[1].table.name, "name": op[1].name})
            elif name in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
                table = op[1].table.name if op[1].table is not None else ""
                out.append(
                    {"kind": "other", "table": table, "name": str(op[1].name), "detail": name}
                )
            elif name in ("add_fk", "remove_fk"):
                out.append(
                    {
                        "kind": "other",
                        "table": op[1].parent.name,
                        "name": str(op[1].name),
                        "detail": name,
                    }
                )
            elif name == "modify_type":
                out.append({"kind": "type", "table": op[2], "name": op[3], "detail": str(op[6])})
            elif name == "modify_nullable" and op[6] is False:
                out.append({"kind": "not_null", "table": op[2], "name": op[3]})
            elif name.startswith("modify_"):
                out.append(
                    {
                        "kind": "other",
                        "table": op[2],
                        "name": op[3],
                        "detail": f"{name} {op[5]!r} -> {op[6]!r}",
                    }
                )
            else:
                out.append({"kind": "other", "table": str(op[1])[:40], "detail": name})
    return out


engine = sa.create_engine(url)
if mode == "process":
    metadata = importlib.import_module(module).metadata
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    print(json.dumps({"items": items(diffs)}))
else:
    base = sys.argv[5]
    started = time.perf_counter()
    metadata = importlib.import_module(module).metadata
    declare = time.perf_counter() - started
    base_md = importlib.import_module(base).metadata
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        started, cpu = time.perf_counter(), time.process_time()
        diffs = compare_metadata(ctx, metadata)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        same = compare_metadata(ctx, base_md)
        nochange = time.perf_counter() - started
    print(
        json.dumps(
            {
                "declare": declare,
                "first": first,
                "first_cpu": first_cpu,
                "nochange": nochange,
                "items": items(diffs),
                "nochange_items": items(same),
            }
        )
    )
