"""Declared and live sources, each turned into a `Schema` by the one introspector.

A declared source (SQLAlchemy metadata, SQL files, the migrations directory)
is materialized in a fresh throwaway database of the dev server, then read
back like any live database: PostgreSQL itself normalizes types, defaults and
definitions, so the two sides of a diff never disagree on spelling.
Materializations are cached (see `cache`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from studio.catalog import connect as db
from studio.catalog.introspect import introspect
from studio.sources.cache import cache_key, read_cached, write_cached
from studio.sources.declared import DECLARED_KINDS, without_gc
from studio.sources.devdb.lease import dev_database, dev_major
from studio.sources.live import load_url
from studio.sources.materialize import Batch, drain, run_batches
from studio.sources.spec import Loaded, SourceKind

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.sources.declared import DeclaredKind
    from studio.sources.spec import Source

T = TypeVar("T")


async def load(
    source: Source,
    settings: Settings,
    *,
    major: int | None = None,
    use_cache: bool = True,
    with_privileges: bool = False,
) -> Loaded:
    """Read `source` into a Schema; declared sources go through the dev server.

    `major` picks the dev server's PostgreSQL major version (the target's,
    so both sides are normalized by the same server).
    """
    if source.kind is SourceKind.URL:
        return await load_url(source, settings, with_privileges)
    kind = DECLARED_KINDS[source.kind]
    return await _load_declared(source, settings, major, use_cache, kind, with_privileges)


async def concurrently(*coros: Coroutine[Any, Any, T]) -> list[T]:
    """Run coroutines side by side; at the first failure, cancel and await the rest, raise it."""
    # not asyncio.gather: it returns at the first failure and leaves the others running, so a
    # second side failing too (both replay one broken migrations folder) dies unobserved at
    # asyncio.run's shutdown with a traceback, and a live read loses its connection under it
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # the first to fail: the one that stopped the rest
    return [t.result() for t in tasks]


async def _load_declared(
    source: Source,
    settings: Settings,
    major: int | None,
    use_cache: bool,
    kind: DeclaredKind,
    with_privileges: bool = False,
) -> Loaded:
    server_major = dev_major(settings, major)
    key = cache_key(source, kind.files(source, settings), server_major, with_privileges)
    if use_cache and (cached := read_cached(source, key)) is not None:
        return cached
    # The user's models import (CPU, a worker thread) while the dev server starts
    # and makes the throwaway database (another process); then their DDL runs
    # there as it is compiled. At 1,000 tables: import 1.3 s, server 0.2 s,
    # compile 0.3 s, DDL 1.2 s.
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[Batch | None] = asyncio.Queue()

    def emit(batch: Batch) -> None:
        loop.call_soon_threadsafe(ready.put_nowait, batch)

    def produce() -> list[str]:
        try:
            return kind.ddl(source, settings, emit)
        finally:
            loop.call_soon_threadsafe(ready.put_nowait, None)

    compiled = asyncio.ensure_future(asyncio.to_thread(without_gc, produce))
    compiled.add_done_callback(
        lambda f: f.cancelled() or f.exception()
    )  # read, even when we fail first
    try:
        async with dev_database(settings, server_major) as conn:
            await run_batches(conn, drain(ready))
            declared = await compiled
            version = await db.server_version_num(conn)
            schema = await introspect(conn, None, with_privileges=with_privileges)
    except BaseException:
        failed = compiled.exception() if compiled.done() and not compiled.cancelled() else None
        if failed is not None:
            raise failed from None  # the user's code failing says more than what it interrupted
        raise
    loaded = Loaded(source, schema, tuple(declared), False, version)
    if use_cache:
        write_cached(key, loaded)
    return loaded
