"""A Python step's function found before anything runs: imported with the project root on sys.path.

A step `-- schema-studio:python package.module:function` names an async
function in the user's code; `resolve` imports it (the project root first on
`sys.path`, as a script run from there would), and `check` does so for every
Python step of a set of migrations, so `migrate`, `rollback` and `lint` refuse
a missing module or function with the file and line, before anything runs.
Running the step is `studio.run.python_steps`'. No asyncpg here: lint reads
no database unless it is given one.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.config import mask_dsn
from studio.errors import MigrationFileError, StudioError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from studio.migrations.files import Migration
    from studio.migrations.format import PythonCall

    # fn(conn: asyncpg.Connection, options: dict[str, str])
    StepFunction = Callable[[Any, dict[str, str]], Awaitable[object]]


@contextlib.contextmanager
def on_path(root: Path | None) -> Iterator[None]:
    """The project root first on `sys.path` while inside (the user's package lives there)."""
    folder = str((root or Path.cwd()).resolve())
    if folder in sys.path:
        yield
        return
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def resolve(call: PythonCall, root: Path | None) -> StepFunction:
    """The step's function, imported with the project root on `sys.path`.

    Raises:
        StudioError: no such module or function, the module fails to import,
            or the function is not `async def`.
    """
    where = (root or Path.cwd()).resolve()
    with on_path(root):
        try:
            module = importlib.import_module(call.module)
        except ModuleNotFoundError as e:
            if e.name and (call.module == e.name or call.module.startswith(e.name + ".")):
                raise StudioError(
                    f"no module {call.module} (looked in the project root {where} and sys.path)"
                ) from None
            raise StudioError(f"importing {call.module} failed: {one_line(e)}") from None
        except Exception as e:
            raise StudioError(f"importing {call.module} failed: {one_line(e)}") from None
    fn = getattr(module, call.function, None)
    if fn is None:
        raise StudioError(f"module {call.module} has no function {call.function}")
    if not inspect.iscoroutinefunction(fn):
        raise StudioError(
            f"{call.target} is not an async function (write `async def {call.function}"
            "(conn, options)`)"
        )
    return fn  # type: ignore[no-any-return]


def check(migrations: Sequence[Migration], root: Path | None, *, down: bool = False) -> None:
    """Import every Python step of `migrations` (their down files' with `down`).

    Raises:
        MigrationFileError: the first step whose function cannot be found, with its line.
    """
    for m in migrations:
        steps = (m.down_steps or ()) if down else m.steps
        path = m.down_path if down and m.down_path else m.path
        for step in steps:
            if step.python is not None:
                try:
                    resolve(step.python, root)
                except StudioError as e:
                    raise MigrationFileError(
                        str(path), step.line, f"step {step.index}: {e.message}"
                    ) from None


def refuse_irreversible(m: Migration) -> None:
    """Refuse to roll back a migration with a step marked `-- schema-studio:irreversible`."""
    step = next((s for s in m.steps if s.irreversible), None)
    if step is not None:
        raise StudioError(
            f"{m.filename} cannot be rolled back: step {step.index} ({step.title}) is marked"
            " irreversible; nothing was rolled back",
            "write a new migration that undoes what it did",
        )


_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+")


def one_line(e: BaseException) -> str:
    """`Kind: first line`, any URL in it masked (a password in a URL is never shown)."""
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    first = _URL.sub(lambda u: mask_dsn(u[0]), first)
    return f"{e.__class__.__name__}: {first}" if first else e.__class__.__name__


def python_targets(migrations: Sequence[Migration]) -> tuple[str, ...]:
    """The `pkg.mod:fn` of every Python step of `migrations` (their down files' too), once each."""
    steps = [s for m in migrations for s in (*m.steps, *(m.down_steps or ()))]
    return tuple(dict.fromkeys(s.python.target for s in steps if s.python is not None))
