"""`dev`: the warm dev server (the local PostgreSQL declared schemas are materialized on).

`dev_status` says which dev servers run, for whom and until when; `dev_stop`
stops them now. Neither starts one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.config import mask_dsn
from studio.sources.devdb.servers import DevServer, dev_servers, stop_dev_servers

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from studio.config import Settings


@dataclass(frozen=True, slots=True)
class DevStatus:
    """The dev clusters of this user and what this project's settings say about them."""

    folder: Path  # the clusters folder
    servers: tuple[DevServer, ...]
    timeout: float  # this project's dev_idle_timeout, seconds
    dev_url: str | None  # this project's dev_url, masked: then no local server is used
    now: float  # time.time() when it was read

    @property
    def running(self) -> tuple[DevServer, ...]:
        """The servers that run."""
        return tuple(s for s in self.servers if s.running)


def dev_status(settings: Settings) -> DevStatus:
    """The dev servers, running or not, as they are now."""
    folder, servers = dev_servers()
    url = mask_dsn(settings.dev_url) if settings.dev_url else None
    return DevStatus(folder, tuple(servers), settings.dev_idle_timeout, url, time.time())


def dev_stop(on_wait: Callable[[DevServer], None] | None = None) -> list[DevServer]:
    """Stop every running dev server and its reaper now; the servers that were running.

    A command using one is let finish first (`on_wait` is told).
    """
    return stop_dev_servers(on_wait=on_wait)
