"""migra's database-to-database diff in-process: `Migration()` + `add_all_changes()`.

    python migra_diff.py URL_FROM URL_TO

Times the diff from opening both sessions (migra inspects both databases) to
the SQL, after the imports; prints {seconds, cpu, sql}.
"""

from __future__ import annotations

import json
import sys
import time

from migra import Migration
from sqlbag import S

a, b = sys.argv[1:3]
started, cpu = time.perf_counter(), time.process_time()
with S(a) as s0, S(b) as s1:
    m = Migration(s0, s1)
    m.set_safety(False)
    m.add_all_changes()
    sql = m.sql
took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": took, "cpu": took_cpu, "sql": sql}))
