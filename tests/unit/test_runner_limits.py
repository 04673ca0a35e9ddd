"""The runner's limits and diagnoses, without a server (issue 14, items 4, 9 and 11).

The idle limit's setting, the stall watch, the translation of a session the
server ended, and the tables a DROP names for the blocker diagnosis.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest

from studio.config import duration_seconds, load
from studio.errors import ConfigError, ConnectionLost, IdleSessionEnded, translate
from studio.run.events import Blocker
from studio.run.stalls import Stalls
from studio.sqltext.statements import relations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("2s", 2.0), ("1.5s", 1.5), ("1min", 60.0), ("250", 0.25), ("0", 0.0)],
)
def test_duration_seconds(text: str, seconds: float) -> None:
    assert duration_seconds(text) == pytest.approx(seconds)


def test_idle_limit_defaults_to_five_seconds_and_is_checked(tmp_path: Path) -> None:
    assert load(tmp_path).idle_in_transaction_timeout == "5s"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nidle_in_transaction_timeout = "2s"\n'
    )
    assert load(tmp_path).idle_in_transaction_timeout == "2s"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nidle_in_transaction_timeout = "soon"\n'
    )
    with pytest.raises(ConfigError, match="idle_in_transaction_timeout = 'soon' is not a duration"):
        load(tmp_path)


def _translated(error: BaseException) -> BaseException:
    with pytest.raises(ConnectionLost) as caught, translate("step 2 of a.sql, line 3"):
        raise error
    return caught.value


def test_a_session_ended_for_idling_says_so() -> None:
    for error in (
        asyncpg.IdleInTransactionSessionTimeoutError(
            "terminating connection due to idle-in-transaction timeout"
        ),
        asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation: "
            "terminating connection due to idle-in-transaction timeout"
        ),
    ):
        err = _translated(error)
        assert isinstance(err, IdleSessionEnded)
        assert str(err).startswith("lost the connection to the server (step 2 of a.sql, line 3)")
        assert "idle in its transaction" in str(err) and "rolled back" in err.hint  # type: ignore[attr-defined]


def test_a_transaction_exit_on_a_dead_connection_reports_what_closed_it() -> None:
    """asyncpg's "cannot call Transaction.__aexit__()" is not the news.

    The error that closed the connection is.
    """
    try:
        try:
            raise asyncpg.AdminShutdownError("terminating connection due to administrator command")
        except asyncpg.AdminShutdownError:
            raise asyncpg.InterfaceError(
                "cannot call Transaction.__aexit__(): the underlying connection is closed"
            ) from None
    except asyncpg.InterfaceError as e:
        err = _translated(e)
    assert "administrator command" in str(err) and "__aexit__" not in str(err)


def test_a_protocol_broken_between_statements_is_a_lost_connection() -> None:
    err = _translated(asyncpg.InternalClientError("cannot switch to state 15"))
    assert str(err).endswith("the server ended the session between two statements")


async def test_stalls_see_the_process_stand_still() -> None:
    async with Stalls.ticking() as stalls:
        await asyncio.sleep(0.3)
        before = time.monotonic()
        time.sleep(0.6)  # noqa: ASYNC251  (the loop stands still, as a stopped process does)
        # asked before the ticker has woken: the stall is still seen
        assert stalls.longest_since(before) >= 0.6
        await asyncio.sleep(0.3)
        assert stalls.longest_since(before) >= 0.6
        assert stalls.longest_since(time.monotonic()) < 0.3


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("DROP TRIGGER orders_touch ON public.orders", ("public.orders",)),
        ("DROP POLICY p ON orders", ("orders",)),
        ('DROP RULE r ON "Odd"."T"', ('"Odd"."T"',)),
        ("DROP TABLE a, s.b", ("a", "s.b")),
        ("DROP INDEX CONCURRENTLY public.i", ("public.i",)),
        ("DROP FUNCTION f()", ()),
    ],
)
def test_relations_a_drop_names(sql: str, tables: tuple[str, ...]) -> None:
    assert relations(sql) == tables


def test_a_blocker_idle_in_transaction_says_so_for_how_long_and_its_last_query() -> None:
    b = Blocker(
        pid=7,
        application_name="report",
        state="idle in transaction",
        query="SELECT count(*) FROM other",
        age=12.2,
        snapshot=True,
    )
    assert b.describe() == (
        "pid 7 (report) idle in transaction for 12s, holds a snapshot older than the index build; "
        "last query: SELECT count(*) FROM other"
    )
