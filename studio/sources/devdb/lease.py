"""The dev cluster: one per major version, shared by the processes that use it."""

from __future__ import annotations

import fcntl
import os
from typing import TYPE_CHECKING

from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.placement import clusters_root, tmpfs_parent

if TYPE_CHECKING:
    from pathlib import Path


def dev_cluster(major: int | None = None) -> Cluster:
    """The dev cluster `dev-pg<major>` on the best binaries for `major`, started or reused.

    It lives in `$STUDIO_DEVDB_DIR` when that is set, else on tmpfs when there
    is room (it holds only throwaway databases), else in the temp folder.
    """
    b = find_binaries(major)
    return Cluster.ensure(f"dev-pg{b.major}", b, root=_dev_root())


def _dev_root() -> Path:
    return clusters_root(None if os.environ.get("STUDIO_DEVDB_DIR") else tmpfs_parent())


def use_dev_cluster(major: int | None = None) -> tuple[Cluster, int]:
    """The dev cluster, as `dev_cluster`, and a descriptor that says this process uses it.

    The descriptor holds a shared lock on the cluster's `.users` file until it
    is closed (close it when done, after `sole_user` if this process is to
    stop the server). The server is only ever stopped under that file's
    exclusive lock, so never under a process still using it; a process that
    comes while it stops waits, then starts it again.
    """
    b = find_binaries(major)
    root, name = _dev_root(), f"dev-pg{b.major}"
    fd = os.open(root / f"{name}.users", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return Cluster.ensure(name, b, root=root), fd
    except BaseException:
        os.close(fd)
        raise


def sole_user(fd: int) -> bool:
    """Whether no other process uses the cluster of `use_dev_cluster`'s descriptor `fd`.

    When so, `fd` now holds the exclusive lock: nobody starts using the
    cluster until it is closed, so the server may be stopped meanwhile. When
    not, `fd` no longer holds any lock: close it.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
