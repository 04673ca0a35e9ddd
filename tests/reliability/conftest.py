"""Fixtures of the reliability suite (the clusters come from tests/conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from studio.sources.devdb.cluster import Cluster


@pytest.fixture(scope="session")
def trust_cluster(_cluster_pool: Any) -> Cluster:
    """The embedded server's trust-auth cluster, as a dev server that needs no password.

    The `pg` fixture's cluster.
    """
    from _rel import embedded

    b = embedded()
    return _cluster_pool.get(f"pg{b.major}", b)  # type: ignore[no-any-return]
