"""A hot standby of a local cluster: `pg_basebackup -R`, then started beside it.

For the tests and the replica bench, which watch the runner throttle a
backfill on a standby's replay lag. The standby streams from its primary
over loopback (the cluster's pg_hba.conf admits replication there) and
replays as hot standbys do; `settings` slow it down when asked
(`recovery_min_apply_delay`). It is a cluster like any other: `discard()`
stops it and deletes its folder.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from studio.errors import DevDbError
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.osuser import chown
from studio.sources.devdb.process import flock, run_tool

if TYPE_CHECKING:
    from pathlib import Path


def start_standby(primary: Cluster, name: str, root: Path, *, settings: str = "") -> Cluster:
    """Copy `primary` (pg_basebackup -R) into cluster folder `name` under `root`, and start it.

    `settings` are `-c name=value` options of the standby's server, e.g.
    `-c recovery_min_apply_delay=2s`.
    """
    home = root / name
    with flock(root / f"{name}.lock"):
        shutil.rmtree(home, ignore_errors=True)  # a crashed run's leftover
        home.mkdir(mode=0o700)
        chown(home, primary.os_user)
        argv = [str(primary.bindir / "pg_basebackup"), "-D", str(home / "data")]
        argv += ["-h", primary.host, "-p", str(primary.port), "-U", primary.user]
        # -R writes primary_conninfo and standby.signal; the copy needs no fsync (throwaway)
        argv += ["-R", "-X", "stream", "-c", "fast", "--no-sync"]
        standby = Cluster(
            name,
            primary.binaries,
            primary.bindir,
            home / "data",
            0,
            home,
            os_user=primary.os_user,
            auth=primary.auth,
        )
        try:
            run_tool(argv, primary.os_user, home)
            return standby._start(settings)
        except DevDbError:
            shutil.rmtree(home, ignore_errors=True)  # nothing runs there: _start failed
            raise
