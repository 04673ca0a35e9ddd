"""Errors a user can cause, each a one-line message plus a hint.

asyncpg and OS errors are translated into these in exactly one place,
`translate()`, so the CLI and the studio only ever see `StudioError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Iterable


class StudioError(Exception):
    """Base of every error meant for the user: a message and a hint."""

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(StudioError):
    """Configuration file or option that cannot be used."""

    hint = "see the configuration reference in the README"


class UsageError(StudioError):
    """A command invoked with arguments that do not fit."""

    hint = "run the command with --help"


class ConnectionFailed(StudioError):
    """The database could not be reached or refused us."""

    hint = (
        "check the URL (host, port, database) and the server; credentials come from the environment"
    )


class ConnectionLost(ConnectionFailed):
    """An open connection ended under us.

    The server restarted or crashed, or the session was terminated.
    """

    hint = "what was not committed was rolled back; run the command again once the server is back"


class IdleSessionEnded(ConnectionLost):
    """The server ended a session left idle inside its transaction.

    idle_in_transaction_session_timeout, SQLSTATE 25P03.
    """

    hint = (
        "its transaction was rolled back and its locks released: this process stopped talking to"
        " the server in the middle of it (paused, suspended, or its output blocked); run the"
        " command again"
    )


class DevDbError(StudioError):
    """The local development cluster could not be started or used."""

    hint = "set dev_url in [tool.schema-studio] to use a server of your own"


class SourceError(StudioError):
    """A declared schema source (models, SQL files, migrations) failed to load."""

    hint = "fix the source, then run the command again"


class MigrationFileError(StudioError):
    """A migration file that cannot be parsed."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(
            f"{path}:{line}: {problem}",
            "fix the file, then run `schema-studio hash` if it was meant",
        )
        self.path = path
        self.line = line


class ChecksumMismatch(StudioError):
    """A migration file whose content differs from the checksum file."""

    hint = (
        "migrations are immutable: restore the file,"
        " or run `schema-studio hash` if the edit was meant"
    )

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} was modified after it was recorded in schema-studio.sum")
        self.path = path


class LockTimeoutExceeded(StudioError):
    """A step could not get its lock within lock_timeout after every retry."""

    hint = "stop the blocking session or run again when the table is quiet"

    def __init__(self, step: str, blockers: Sequence[str] = ()) -> None:
        who = f"; blocked by {', '.join(blockers)}" if blockers else ""
        super().__init__(f"step {step} could not get its lock{who}")
        self.step = step
        self.blockers = tuple(blockers)


class DriftDetected(StudioError):
    """The live database differs from what its history says it should be."""

    hint = "run `schema-studio diff` to see the differences"

    def __init__(self, changes: Iterable[object]) -> None:
        self.changes = tuple(changes)
        super().__init__(f"{counted(len(self.changes), 'difference')} found")


class DatabaseError(StudioError):
    """A statement failed on the server."""

    hint = "the statement was rolled back"


@contextlib.contextmanager
def translate(where: str = "") -> Iterator[None]:
    """Turn asyncpg/OS exceptions raised inside into `StudioError`s.

    `where` names the database (masked DSN) or step for the message.
    """
    import asyncpg  # deferred: keeps studio.errors importable without asyncpg loaded

    at = f" ({where})" if where else ""
    try:
        yield
    except StudioError:
        raise
    except asyncpg.InvalidPasswordError:
        raise ConnectionFailed(
            f"password authentication failed{at}",
            "set the password in PGPASSWORD or ~/.pgpass,"
            " or in the environment variable holding the URL",
        ) from None
    except asyncpg.InvalidAuthorizationSpecificationError as e:
        raise ConnectionFailed(f"authorization failed{at}: {e}") from None
    except asyncpg.InvalidCatalogNameError:
        raise ConnectionFailed(
            f"database does not exist{at}", "create it, or fix the database name in the URL"
        ) from None
    except (
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.ConnectionFailureError,
        asyncpg.IdleInTransactionSessionTimeoutError,
    ) as e:
        # 57P01/57P02/08003/08006/25P03: the session ended mid-work (restart, crash,
        # pg_terminate_backend, idle_in_transaction_session_timeout)
        raise _lost(e, at) from None
    except asyncpg.InternalClientError as e:
        # asyncpg's protocol breaks when the server speaks between two queries: the FATAL
        # of a session it ended while this process was not listening (stopped, busy)
        if (original := _translated_cause(e)) is not None:
            raise original from None
        raise ConnectionLost(
            f"lost the connection to the server{at}:"
            " the server ended the session between two statements"
        ) from None
    except asyncpg.CannotConnectNowError:
        raise ConnectionFailed(
            f"the server is starting up or shutting down{at}", "run the command again in a moment"
        ) from None
    except asyncpg.InsufficientPrivilegeError as e:
        raise DatabaseError(
            f"permission denied{at}: {e}", "grant the role the privilege, or use another role"
        ) from None
    except asyncpg.PostgresError as e:
        raise DatabaseError(f"{e.__class__.__name__}{at}: {e}") from None
    except TimeoutError:
        raise ConnectionFailed(
            f"timed out connecting{at}", "is the server up and the port right? see connect_timeout"
        ) from None
    except (OSError, asyncpg.InterfaceError, asyncpg.ClientConfigurationError) as e:
        # cleaning up on a dead connection (a transaction's rollback) raises anew: the
        # error that killed it, already translated, is the one to report
        if (original := _translated_cause(e)) is not None:
            raise original from None
        ended = (
            asyncpg.AdminShutdownError,
            asyncpg.CrashShutdownError,
            asyncpg.ConnectionDoesNotExistError,
        )
        if (cause := _cause(e, ended)) is not None:
            # a transaction's exit on a connection its statement's error closed: that error says why
            raise _lost(cause, at) from None
        if isinstance(e, asyncpg.InterfaceError) and _CLOSED in str(e):
            raise ConnectionLost(
                f"lost the connection to the server{at}: {_first_line(e)}"
            ) from None
        raise ConnectionFailed(f"cannot connect{at}: {_first_line(e)}") from None


# asyncpg's InterfaceError on an operation over a connection that is gone
_CLOSED = "connection is closed"
# the server's words when idle_in_transaction_session_timeout ends a session (SQLSTATE 25P03)
_IDLE_ENDED = "idle-in-transaction timeout"


def _lost(e: BaseException, at: str) -> ConnectionLost:
    """A session that ended mid-work; one the server ended for idling in its transaction says so."""
    if getattr(e, "sqlstate", None) == "25P03" or _IDLE_ENDED in str(e):
        return IdleSessionEnded(
            f"lost the connection to the server{at}: the server ended the session, idle in its "
            "transaction for longer than idle_in_transaction_session_timeout"
        )
    return ConnectionLost(f"lost the connection to the server{at}: {_first_line(e)}")


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else e.__class__.__name__


def _translated_cause(e: BaseException) -> StudioError | None:
    """The StudioError being handled when `e` was raised, if any."""
    found = _cause(e, StudioError)
    return found if isinstance(found, StudioError) else None


def _cause(
    e: BaseException, kinds: type[BaseException] | tuple[type[BaseException], ...]
) -> BaseException | None:
    """The exception of `kinds` being handled when `e` was raised, if any (bounded walk)."""
    seen = e.__context__
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, kinds):
            return seen
        seen = seen.__context__
    return None
