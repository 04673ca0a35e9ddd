"""`check` when its replays fail while the target's read is still going.

The replays wait for the target's read (its major version, then its history);
failing, they cancel that wait, and asyncio cancels the future waited on with
it. The read, ending after, set a result on that cancelled future: the user got
"internal error: InvalidStateError: invalid state" instead of the replays' own
error (seen once in CI, with a models module of the wrong type).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import studio.commands.check as check_module
from studio.config import Settings
from studio.errors import StudioError


def test_the_replays_error_is_told_when_the_target_read_ends_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "migrations").mkdir()
    settings = Settings(root=tmp_path, db_override="postgresql://u@127.0.0.1:1/db")
    replays_failed = asyncio.Event()

    async def read_target(_settings: Settings, _url: str, major: Any) -> Any:
        major.set_result(18)
        await replays_failed.wait()  # ends as the replays fail
        return object()

    async def replays(_settings: Settings, major: Any, target: Any) -> Any:
        await major
        waiting = asyncio.ensure_future(target)
        await asyncio.sleep(0)
        waiting.cancel()  # what the replays' task group does to its applied replay
        await asyncio.sleep(0)
        replays_failed.set()
        await asyncio.sleep(0)  # the read ends in the same turn of the loop
        raise StudioError("app.models:Base is a int, not a MetaData", "fix the source")

    monkeypatch.setattr(check_module, "_read_target", read_target)
    monkeypatch.setattr(check_module, "_replays", replays)
    monkeypatch.setattr(check_module.migrations, "verify_sum", lambda _d: None)
    with pytest.raises(StudioError) as err:
        asyncio.run(check_module.check(settings))
    assert "not a MetaData" in err.value.message
