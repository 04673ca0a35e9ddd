"""The reaper of a warm dev server: sleeps until its idle deadline, then stops it.

Started by `idle.ensure_reaper` as `python -I -c ... ROOT NAME`, detached (a
session of its own) with an environment built from nothing. It holds
`<name>.reaper` while it lives, so one runs per server. It wakes at the
deadline (at least every `_POLL` seconds, so a shorter timeout written by a
later command is seen), and stops the server under the exclusive lock of
`<name>.users` when no command came meanwhile and no client of the user's
(psql) is connected; a command arriving meanwhile waits for that lock, then
starts the server again. It leaves when the server is stopped, by it or by
anyone else, or on SIGTERM (`dev stop`, a command with a timeout of 0).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from studio.sources.devdb.idle import claim_reaper, clear_idle, read_idle, server_of

# seconds between looks at the idle deadline, at most
_POLL = 10.0
# seconds between looks while a client of the user's keeps the server in use
_CLIENT_POLL = 30.0


def main(root: str, name: str) -> None:
    """Reap dev server `name` of clusters folder `root` (the reaper's entry point)."""
    folder = Path(root)
    mine = claim_reaper(folder, name)
    if mine is None:
        return  # another reaper has it
    try:
        while (wait := _look(folder, name, mine)) is not None:
            time.sleep(wait)
    except FileNotFoundError:
        os.close(mine)  # the clusters folder was deleted, and the server with it
    except BaseException:
        os.close(mine)
        raise


def _look(root: Path, name: str, mine: int) -> float | None:
    """Seconds to sleep before looking again; None when done (the server is stopped, `mine`
    closed)."""
    idle = read_idle(root, name)
    running = server_of(root, name) is not None
    if running and idle is not None and (left := idle.until - time.time()) > 0:
        return min(left, _POLL)
    # past the deadline, or stopped by someone else: take the server once no command uses it
    users = os.open(root / f"{name}.users", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(users, fcntl.LOCK_EX)
        idle = read_idle(root, name)  # the last command out wrote its deadline before leaving
        if server_of(root, name) is not None:
            if idle is not None and idle.until > time.time():
                return 0.0
            if not _stop(root, name):
                return _CLIENT_POLL
        clear_idle(root, name)
        # let go of the reaper's lock before `.users`': a command that gets the server
        # after this sees no reaper, and starts one
        os.close(mine)
        return None
    finally:
        os.close(users)


def _stop(root: Path, name: str) -> bool:
    """Stop the server unless a client of the user's is connected; whether it was stopped."""
    # deferred: asyncpg and the cluster's modules are loaded only when the deadline comes,
    # so a reaper asleep stays small
    from studio.sources.devdb.lease import stop_unused

    return stop_unused(root, name)
