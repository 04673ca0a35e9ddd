"""One materialization of a declared SQLAlchemy source, timed inside a fresh process.

    python -m bench.materialize_once PROJECT module:attr total
        `load()` as `diff` runs it (the cache in $XDG_CACHE_HOME is used
        when it holds the schema): prints {"seconds", "cached"}
    python -m bench.materialize_once PROJECT module:attr parts
        the same work cut in parts, one after the other, the cache left out:
        importing the models (SQLAlchemy's own import among it, timed apart
        too), compiling their DDL, creating the throwaway database, running
        the DDL, reading it back; prints {"import", "sqlalchemy", "compile",
        "createdb", "ddl", "introspect"}. (`load()` overlaps the
        import with the database's creation and the DDL's run with its
        compilation, so the parts add up to more than the total.)

A fresh process each time, as a user's command has: timing repeated loads in
one long-lived process would also time the SQLAlchemy registries of every
earlier import of the same models. The interpreter's start and the import of
`studio` are not in the figures (the whole-process `diff` rows have them).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from pathlib import Path

from studio import config
from studio.catalog.introspect import introspect
from studio.sources import declared
from studio.sources.devdb.lease import dev_database
from studio.sources.load import load
from studio.sources.materialize import Batch, run_batches
from studio.sources.spec import parse_source


async def parts(project: Path, spec: str) -> dict[str, float]:
    """The parts of a cold materialization, in seconds."""
    settings = config.load(project)
    source = parse_source(spec, settings)
    started = time.perf_counter()
    # as load() runs them: with the garbage collector paused; SQLAlchemy's own import first,
    # timed apart (a part of "import")
    declared.without_gc(importlib.import_module, "sqlalchemy.orm")
    sqlalchemy = time.perf_counter()
    metadatas = declared.without_gc(declared.import_metadata, spec, project)
    imported = time.perf_counter()
    # compile from the metadata just imported, not from a second import
    declared.import_metadata = lambda *_: metadatas  # type: ignore[assignment]
    batches: list[Batch] = []
    declared.without_gc(declared._sqlalchemy_ddl, source, settings, batches.append)
    compiled = time.perf_counter()
    async with dev_database(settings) as conn:
        created = time.perf_counter()
        await run_batches(conn, batches)
        ran = time.perf_counter()
        await introspect(conn, None)
        read = time.perf_counter()
    return {
        "import": imported - started,
        "sqlalchemy": sqlalchemy - started,
        "compile": compiled - imported,
        "createdb": created - compiled,
        "ddl": ran - created,
        "introspect": read - ran,
    }


async def total(project: Path, spec: str) -> dict[str, object]:
    """One `load()`, in seconds, and whether the cache answered."""
    settings = config.load(project)
    source = parse_source(spec, settings)
    started = time.perf_counter()
    loaded = await load(source, settings)
    return {"seconds": time.perf_counter() - started, "cached": loaded.cached}


def main() -> None:
    """Command line entry point."""
    project, spec, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    run = parts if mode == "parts" else total
    print(json.dumps(asyncio.run(run(project, spec))))


if __name__ == "__main__":
    main()
