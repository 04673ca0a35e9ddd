"""Declared and live sources, each turned into a `Schema` by the one introspector.

A declared source (SQLAlchemy metadata, SQL files, the migrations directory)
is materialized in a fresh throwaway database of the dev server, then read
back like any live database: PostgreSQL itself normalizes types, defaults and
definitions, so the two sides of a diff never disagree on spelling.
Materializations are cached (see `cache`).
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from studio.catalog import connect as db
from studio.catalog.introspect import introspect
from studio.catalog.origins import last_oid, object_oids
from studio.sources.cache import cache_key, read_cached, write_cached
from studio.sources.declared import DECLARED_KINDS, origin_label, without_gc
from studio.sources.devdb.lease import dev_database_url, dev_major
from studio.sources.live import load_url
from studio.sources.materialize import Batch, drain, run_batches
from studio.sources.spec import Loaded, SourceKind

if TYPE_CHECKING:
    import asyncpg

    from studio.config import Settings
    from studio.sources.declared import DeclaredKind
    from studio.sources.spec import Source

T = TypeVar("T")
U = TypeVar("U")


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


async def side_by_side(
    first: Coroutine[Any, Any, T], second: Coroutine[Any, Any, U]
) -> tuple[T, U]:
    """Two coroutines of different results run as `concurrently` runs them."""
    done: list[Any] = await concurrently(first, second)
    return done[0], done[1]


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
    parts = _Parts(settings) if source.kind is SourceKind.COMPOSITE else None
    writing: asyncio.Future[None] | None = None
    try:
        async with dev_database_url(settings, server_major) as url:
            conn = await db.connect(url, timeout=settings.connect_timeout)
            try:
                if parts is not None:
                    await parts.start(conn)
                await run_batches(conn, drain(ready), parts.mark if parts is not None else None)
                declared = await compiled
                version = await db.server_version_num(conn)
                # a large schema is read back on two connections, as a live one is
                schema = await introspect(
                    conn,
                    None,
                    with_privileges=with_privileges,
                    connect=lambda: db.connect(url, timeout=settings.connect_timeout),
                )
                if parts is not None:
                    declared = await parts.finish(conn, declared)
            finally:
                await conn.close()
            origins = parts.origins if parts is not None else {}
            loaded = Loaded(source, schema, tuple(declared), False, version, origins)
            if use_cache:
                # written (JSON, the studio's CPU) while the server drops the database
                writing = asyncio.ensure_future(asyncio.to_thread(write_cached, key, loaded))
    except BaseException as e:
        if isinstance(e, Exception) and not compiled.done():
            # what the producer still has to say comes first: the user's code failing, or a
            # SQL file's lexer complaint anywhere in it (as when it was split before running)
            await asyncio.wait([compiled])
        failed = compiled.exception() if compiled.done() and not compiled.cancelled() else None
        if failed is not None:
            raise failed from None  # the user's code failing says more than what it interrupted
        raise
    finally:
        if writing is not None:
            await writing
    return loaded


class _Parts:
    """Where each object of a composite schema came from, told by oids (`catalog.origins`).

    The oid counter only grows: after each part (each SQL file, each
    SQLAlchemy target) the highest oid so far is marked, and at the end every
    object goes to the first part whose mark its oid does not pass. One index
    lookup per part, one catalog scan at the end.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn: asyncpg.Connection | None = None
        self.start_oid = 0
        self.marks: list[int] = []
        self.labels: list[str] = []
        self.origins: dict[str, str] = {}

    async def start(self, conn: asyncpg.Connection) -> None:
        """Mark what the new database holds from its template: no part's."""
        self.conn = conn
        self.start_oid = await last_oid(conn)

    async def mark(self, where: str) -> None:
        """The batches of `where` have run."""
        assert self.conn is not None
        self.marks.append(await last_oid(self.conn))
        self.labels.append(origin_label(where, self.settings))

    async def finish(self, conn: asyncpg.Connection, declared: list[str]) -> list[str]:
        """Sort the objects into parts; the managed schemas, when a SQLAlchemy part set them.

        SQLAlchemy metadata names the schemas it manages; the SQL run after it
        adds the schemas its own objects live in (views in `reporting` over
        tables in `app`), so they are compared too.
        """
        made = await object_oids(conn)
        schemas = set(declared)
        for obj in made:
            if obj.oid <= self.start_oid:
                continue
            at = bisect.bisect_left(self.marks, obj.oid)
            if at < len(self.labels):
                self.origins[obj.key] = self.labels[at]
            if obj.schema is not None:
                schemas.add(obj.schema)
        return sorted(schemas) if declared else []
