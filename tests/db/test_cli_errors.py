"""Bad input gets one clear line and exit 1, never a traceback or a password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster


def studio(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.schema-studio]\nconnect_timeout = 1.5\n")
    return tmp_path


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A local socket that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()


def test_unreachable_host_times_out_quickly(project: Path, silent_server: int) -> None:
    start = time.monotonic()
    r = studio("inspect", "--db", f"postgresql://u@127.0.0.1:{silent_server}/db", cwd=project)
    assert_one_line_error(r, "timed out")
    assert time.monotonic() - start < 10


def test_connection_refused(project: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    assert_one_line_error(
        studio("inspect", "--db", f"postgresql://u@127.0.0.1:{port}/db", cwd=project),
        "cannot connect",
    )


def test_wrong_password_not_printed(project: Path, scram_cluster: Cluster) -> None:
    secret = "Wr0ng-Pa55word-xyzzy"
    r = studio(
        "inspect", "--db", scram_cluster.url("postgres"), cwd=project, env={"PGPASSWORD": secret}
    )
    assert_one_line_error(r, "password authentication failed")
    assert secret not in r.stdout + r.stderr
    # in the URL itself: the warning about process arguments, and still masked
    url = scram_cluster.url("postgres").replace("postgres@", f"postgres:{secret}@")
    r = studio("inspect", "--db", url, cwd=project)
    assert_one_line_error(r, "password authentication failed")
    assert secret not in r.stdout + r.stderr
    assert "visible to other users" in r.stderr


def test_right_password_from_environment(project: Path, scram_cluster: Cluster) -> None:
    assert scram_cluster.password
    r = studio(
        "inspect",
        "--db",
        scram_cluster.url("postgres"),
        cwd=project,
        env={"PGPASSWORD": scram_cluster.password},
    )
    assert r.returncode == 0, r.stderr
    assert scram_cluster.password not in r.stdout + r.stderr


def test_missing_database(project: Path, pg: Cluster) -> None:
    assert_one_line_error(
        studio("inspect", "--db", pg.url("no_such_db_here"), cwd=project), "database does not exist"
    )


@pytest.mark.parametrize(
    "url", ["notaurl", "postgresql://u@[::1/db", "postgresql://u@h:port/db", "mysql://u@h/db"]
)
def test_malformed_url(project: Path, url: str) -> None:
    assert_one_line_error(studio("inspect", "--db", url, cwd=project))


def test_unknown_schema(project: Path, db_url: str) -> None:
    assert_one_line_error(
        studio("inspect", "--db", db_url, "--schema", "nope", cwd=project), "unknown schema 'nope'"
    )


def test_unknown_option_exits_1(project: Path) -> None:
    assert_one_line_error(studio("inspect", "--frobnicate", cwd=project), "No such option")
    assert_one_line_error(studio("no-such-command", cwd=project))


def test_no_database_configured(project: Path) -> None:
    assert_one_line_error(studio("inspect", cwd=project), "no database given")


def test_version(project: Path) -> None:
    r = studio("--version", cwd=project)
    assert r.returncode == 0
    assert r.stdout.startswith("schema-studio ")


def test_no_config_names_the_key_and_init_without_a_python_warning(tmp_path: Path) -> None:
    """`generate` where no pyproject.toml is: one line, a hint naming the config key and
    `init`, no `--to` (generate has none), no `coroutine 'load' was never awaited`."""
    r = studio("generate", "--name", "first", cwd=tmp_path, env={"PYTHONWARNINGS": "default"})
    assert_one_line_error(r, "no declared schema configured")
    assert "Warning" not in r.stderr and "never awaited" not in r.stderr, r.stderr
    (hint,) = [ln for ln in r.stderr.splitlines() if ln.startswith("  hint:")]
    assert "schema-studio init" in hint and 'schema = "package.module:Base"' in hint
    assert "[tool.schema-studio]" in hint and "--to" not in hint
