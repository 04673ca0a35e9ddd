"""SQLAlchemy `MetaData.reflect()` on a database, as a whole process or timed in-process.

python reflect.py URL process      # import, engine, reflect once: the process figure
python reflect.py URL inprocess    # 1st reflect() and a 2nd on the same engine, timed
"""

from __future__ import annotations

import json
import sys
import time

url, mode = sys.argv[1], sys.argv[2]
# reflect() follows each foreign key into the referenced table recursively: the
# synthetic schema's chain t03000 -> t02999 -> ... exceeds Python's default
# limit of 1,000 frames at 3,000 tables (RecursionError). Raised here, as a user
# with such a schema would have to; noted in the report.
sys.setrecursionlimit(50_000)

import sqlalchemy as sa  # noqa: E402  (the import is part of the process figure)

engine = sa.create_engine(url)
if mode == "process":
    md = sa.MetaData()
    md.reflect(engine)
    print(json.dumps({"tables": len(md.tables)}))
else:
    out = {}
    for label in ("first", "second"):
        md = sa.MetaData()
        started, cpu = time.perf_counter(), time.process_time()
        md.reflect(engine)
        out[label] = time.perf_counter() - started
        out[label + "_cpu"] = time.process_time() - cpu
    out["tables"] = len(md.tables)
    print(json.dumps(out))
