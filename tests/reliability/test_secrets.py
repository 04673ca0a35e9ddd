"""Security: secrets kept, identifiers quoted, read-only where promised, production refused.

- Every command runs against a database on the scram cluster whose role has a
  distinctive password, given once through PGPASSWORD and once inside --db;
  the password must not appear in any output (text or JSON), error, file
  written (migrations, sum, models.py, the cache) or the studio's screen.
- A declared table and column named with quotes, semicolons and spaces
  round-trip through generate, migrate, diff and pull, and execute nothing
  else (a canary table survives, the diff is empty afterwards).
- diff, status, check, lint, inspect and locks never write to the target:
  they succeed for a role that can only read, and on a database whose
  sessions default to read-only transactions; migrate, as the control, fails.
- push refuses a database whose host matches a production pattern unless
  forced (the name case is tests/db/test_generate.py's).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from _rel import (
    assert_one_line_error,
    clean_env,
    execute,
    make_project,
    query,
    run,
    schema_of,
    snapshot_files,
    studio,
    write,
)

from studio.migrations import files as migrations
from studio.sources.devdb.cluster import discard

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster

DECLARED = """CREATE TABLE items (
    id integer PRIMARY KEY,
    name text NOT NULL,
    price numeric(10, 2) DEFAULT 0
);
CREATE INDEX items_name_idx ON items (name);
CREATE TABLE notes (id integer PRIMARY KEY, item_id integer REFERENCES items (id), body text);
"""

COPY_UP = """-- copy names, in batches
-- schema-studio:step
ALTER TABLE items ADD COLUMN label text;
-- schema-studio:step
-- schema-studio:backfill
UPDATE items SET label = name WHERE id >= $1 AND id <= $2;
"""
COPY_DOWN = "ALTER TABLE items DROP COLUMN label;\n"


@pytest.fixture
def leaky(scram_cluster: Cluster) -> Iterator[dict[str, Any]]:
    """A role with a distinctive password (URL-unsafe characters too) owning two fresh databases."""
    token = f"Zebra{secrets.token_hex(6)}"
    password = f"{token}-p@ss:w/rd%?#"
    role = f"leaky_{secrets.token_hex(4)}"
    admin = scram_cluster.url("postgres", with_password=True)
    names = [f"{role}_a", f"{role}_b"]
    execute(admin, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    for name in names:
        execute(admin, f"CREATE DATABASE {name} OWNER {role}")
    base = f"postgresql://{role}@{scram_cluster.host}:{scram_cluster.port}"
    cred = (
        f"postgresql://{role}:{quote(password, safe='')}@{scram_cluster.host}:{scram_cluster.port}"
    )
    try:
        yield {
            "token": token,
            "password": password,
            "role": role,
            "plain": [f"{base}/{n}" for n in names],
            "with_password": [f"{cred}/{n}" for n in names],
            "admin": [scram_cluster.url(n, with_password=True) for n in names],
        }
    finally:
        for name in names:
            execute(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        execute(admin, f"DROP ROLE IF EXISTS {role}")


def _needles(leaky: dict[str, Any]) -> list[str]:
    """The password as written, URL-quoted, and its distinctive part alone."""
    return [leaky["password"], quote(leaky["password"], safe=""), leaky["token"]]


def _leaks(text: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n in text]


class Runner:
    """Runs commands in one mode and keeps every output.

    The password comes from PGPASSWORD, or inside --db.
    """

    def __init__(self, project: Path, cache: Path, leaky: dict[str, Any], mode: str) -> None:
        self.project, self.cache, self.leaky, self.mode = project, cache, leaky, mode
        self.outputs: list[tuple[str, str]] = []

    def __call__(
        self, *args: str, db: int | None = 0, expect: tuple[int, ...] = (0,)
    ) -> subprocess.CompletedProcess[str]:
        env = clean_env(self.cache)
        argv = list(args)
        if db is not None:
            if self.mode == "env":
                env["PGPASSWORD"] = self.leaky["password"]
                env["DATABASE_URL"] = self.leaky["plain"][db]
            else:
                argv += ["--db", self.leaky["with_password"][db]]
        r = studio(*argv, cwd=self.project, env=env)
        what = f"{self.mode}: {' '.join(args)}"
        self.outputs.append((f"{what} (stdout)", r.stdout))
        self.outputs.append((f"{what} (stderr)", r.stderr))
        assert r.returncode in expect, (what, r.returncode, r.stdout[-2000:], r.stderr[-2000:])
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (what, r.stderr)
        if "--format" in args and args[args.index("--format") + 1] == "json":
            _parse_json(r.stdout, what)
        return r


def _parse_json(out: str, what: str) -> None:
    """A JSON document, or JSON lines (migrate's events)."""
    try:
        json.loads(out)
    except ValueError:
        for line in out.splitlines():
            if line.strip():
                json.loads(line)


def _every_command(run_: Runner, mdir: Path) -> None:
    run_("inspect")
    run_("inspect", "--format", "json")
    run_("diff", expect=(2,))
    run_("diff", "--format", "json", expect=(2,))
    run_("diff", "--format", "sql", expect=(2,))
    run_("generate", "--name", "init", db=None)
    run_("generate", "--name", "again", "--dry-run", db=None)
    run_("lint", expect=(0, 2))
    run_("lint", "--format", "json", expect=(0, 2))
    run_("migrate", "--dry-run")
    run_("migrate", "--yes", "--format", "json")
    # a hand-written migration with a backfill step: new, edit, hash
    run_("new", "copy names", db=None)
    up = next(mdir.glob("*_copy_names.sql"))
    up.write_text(COPY_UP)
    up.with_name(up.name.replace(".sql", ".down.sql")).write_text(COPY_DOWN)
    run_("hash", db=None)
    version = up.name.split("_", 1)[0]
    run_("migrate", "--yes", "--no-backfill")
    run_("backfill", version, "--format", "json")
    run_("migrate", "--yes")
    run_("status")
    run_("status", "--format", "json")
    # the hand-written column is not declared: check reports it (exit 2)
    run_("check", "--format", "json", expect=(2,))
    run_("check", expect=(2,))
    run_("pull", "--out", "models.py", "--force")
    run_("pull", "--format", "json", "--out", "models_json.py", "--force")
    run_("rollback", "--yes", "--format", "json")
    run_("rollback", "--yes")
    run_("migrate", "--yes", "--format", "json")
    run_("locks", "--count", "1", "--interval", "0.05")
    run_("locks", "--count", "1", "--format", "json")
    # the second database: push straight from the declared schema, then baseline it
    run_("push", "--yes", db=1)
    run_("baseline", version, db=1)
    run_("status", "--format", "json", db=1)
    # errors that show the target: a migration that fails, a database that is gone
    # the next second, as a timestamp (not version + 1: ...59 + 1 is no time)
    bad = mdir / f"{migrations.next_version([version])}_fails.sql"
    bad.write_text("SELECT 1/0;\n")
    run_("hash", db=None)
    run_("migrate", "--yes", expect=(1,))
    run_("migrate", "--yes", "--format", "json", expect=(1,))
    bad.unlink()
    run_("hash", db=None)


@pytest.mark.parametrize("mode", ["env", "url"])
def test_password_never_shown_or_written(
    leaky: dict[str, Any], trust_cluster: Cluster, tmp_path: Path, mode: str
) -> None:
    project = make_project(tmp_path / "project", schema="schema.sql", dev_url=trust_cluster.url())
    (project / "schema.sql").write_text(DECLARED)
    cache = tmp_path / "cache"
    runner = Runner(project, cache, leaky, mode)
    _every_command(runner, project / "migrations")
    # a database that does not exist, named in the error with the password masked
    if mode == "url":
        r = studio(
            "inspect", "--db", leaky["with_password"][0].rsplit("/", 1)[0] + "/no_such_db",
            cwd=project, env=clean_env(cache),
        )  # fmt: skip
        line = assert_one_line_error(r, "database does not exist", ":***@")
        runner.outputs.append(("url: inspect missing database", line + r.stdout + r.stderr))

    needles = _needles(leaky)
    found = [
        (what, _leaks(text, needles)) for what, text in runner.outputs if _leaks(text, needles)
    ]
    written = {
        **snapshot_files(project),
        **{f"cache/{k}": v for k, v in snapshot_files(cache).items()},
    }
    assert any(k.endswith("models.py") for k in written) and any(
        k.startswith("cache/") for k in written
    )
    found += [
        (name, _leaks(data.decode("utf-8", "replace"), needles))
        for name, data in written.items()
        if _leaks(data.decode("utf-8", "replace"), needles)
    ]
    assert found == [], f"the password leaked: {found}"
    assert len(runner.outputs) >= 2 * 34  # every command ran


@pytest.mark.parametrize("mode", ["env", "url"])
async def test_studio_screen_never_shows_the_password(
    leaky: dict[str, Any],
    trust_cluster: Cluster,
    tmp_path: Path,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The studio opened on the target, its screen exported as SVG (what screenshots are)."""
    from studio.config import load
    from studio.tui.app import StudioApp
    from studio.tui.options import StudioOptions

    project = make_project(tmp_path / "project", schema="schema.sql", dev_url=trust_cluster.url())
    (project / "schema.sql").write_text(DECLARED)
    write(project / "migrations", "20250401000001", "items", DECLARED.split(";")[0] + ";\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if mode == "env":
        monkeypatch.setenv("PGPASSWORD", leaky["password"])
        url = leaky["plain"][0]
    else:
        monkeypatch.delenv("PGPASSWORD", raising=False)
        url = leaky["with_password"][0]
    app = StudioApp(StudioOptions(settings=load(project, db_override=url)))
    screens: list[str] = []
    async with app.run_test(size=(140, 45)) as pilot:
        for _ in range(40):  # let the workers read both sides (bounded)
            await pilot.pause(0.1)
            running = [w for w in app.workers if w.is_running and w.group != "monitor"]
            if not running and app.overview is not None:
                break
        await pilot.pause()
        screens.append(app.export_screenshot())
        for key in ("tab", "tab"):
            await pilot.press(key)
            await pilot.pause()
            screens.append(app.export_screenshot())
    svg = tmp_path / "studio.svg"
    svg.write_text("\n".join(screens))
    text = svg.read_text()
    assert leaky["role"] in text, "the screen does not show the target at all"
    if mode == "url":
        assert f"{leaky['role']}:***@" in text  # shown, masked
    assert _leaks(text, _needles(leaky)) == []


# --- identifiers ----------------------------------------------------------------------------------

WEIRD_TABLE = 'weird"; DROP TABLE canary; --'
WEIRD_COLUMN = "col'); DROP TABLE canary; -- x"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def test_identifiers_with_quotes_semicolons_and_spaces_round_trip(
    db_url: str, pg: Cluster, tmp_path: Path
) -> None:
    canary = "CREATE TABLE canary (id int PRIMARY KEY);\n"
    weird = (
        f"CREATE TABLE {_ident(WEIRD_TABLE)} (\n"
        f"    id integer PRIMARY KEY,\n"
        f"    {_ident(WEIRD_COLUMN)} text DEFAULT 'it''s; DROP TABLE canary; --' NOT NULL,\n"
        f'    "Mixed Case ; col" integer CHECK ("Mixed Case ; col" > 0)\n'
        f");\n"
        'CREATE INDEX "idx; DROP TABLE canary"'
        f" ON {_ident(WEIRD_TABLE)} ({_ident(WEIRD_COLUMN)});\n"
        f"COMMENT ON COLUMN {_ident(WEIRD_TABLE)}.{_ident(WEIRD_COLUMN)}"
        " IS 'a ''quoted''; comment';\n"
    )
    project = make_project(tmp_path / "project", schema="schema.sql", dev_url=pg.url())
    (project / "schema.sql").write_text(canary + weird)
    write(project / "migrations", "20250401000001", "canary", canary)
    env = clean_env(tmp_path / "cache", DATABASE_URL=db_url)

    r = studio("generate", "--name", "weird", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    r = studio("lint", "--format", "json", cwd=project, env=env)
    assert r.returncode in (0, 2), r.stderr
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    assert query(db_url, "SELECT to_regclass('canary') IS NOT NULL") == [(True,)]
    names = query(
        db_url,
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = $1 AND a.attnum > 0 ORDER BY a.attnum",
        WEIRD_TABLE,
    )
    assert names == [
        (WEIRD_TABLE, "id"),
        (WEIRD_TABLE, WEIRD_COLUMN),
        (WEIRD_TABLE, "Mixed Case ; col"),
    ]
    assert query(
        db_url, "SELECT count(*) FROM pg_class WHERE relname = 'idx; DROP TABLE canary'"
    ) == [(1,)]
    for args in (("diff",), ("check",), ("generate", "--name", "nothing")):
        r = studio(*args, cwd=project, env=env)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    assert not list((project / "migrations").glob("*_nothing.sql"))

    # pulled models declare the same schema again
    r = studio("pull", "--out", "models.py", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    compile((project / "models.py").read_text(), "models.py", "exec")
    r = studio("diff", "--from", db_url, "--to", "models:Base", cwd=project, env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    # and a rollback-free drop through generate quotes them too
    (project / "schema.sql").write_text(canary)
    r = studio("generate", "--name", "drop_weird", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    assert query(
        db_url,
        "SELECT to_regclass('canary') IS NOT NULL, count(*) FROM pg_class WHERE relname = $1",
        WEIRD_TABLE,
    ) == [(True, 0)]


# --- read-only commands ---------------------------------------------------------------------------

READ_ONLY = (
    ("inspect",),
    ("inspect", "--format", "json"),
    ("diff",),
    ("diff", "--format", "json"),
    ("status",),
    ("status", "--format", "json"),
    ("check",),
    ("check", "--format", "json"),
    ("lint",),
    ("lint", "--format", "json"),
    ("locks", "--count", "1", "--interval", "0.05"),
    ("locks", "--count", "1", "--format", "json"),
)


def _writes(url: str) -> Any:
    """What a write would change.

    The schema, the history, and the database's commit/row counters.
    """
    has = query(url, "SELECT to_regclass('schema_studio.migrations') IS NOT NULL")[0][0]
    history = (
        query(url, "SELECT version, steps_done FROM schema_studio.migrations ORDER BY 1")
        if has
        else []
    )
    counters = "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
    rows = query(url, counters)
    if int(query(url, "SHOW server_version_num")[0][0]) < 150000:
        # before 15 the counters go through the statistics collector, up to a second
        # late: read them until they settle (an earlier command's writes arriving late
        # would otherwise look like a write of the command under test)
        for _ in range(10):
            time.sleep(0.6)
            again = query(url, counters)
            if again == rows:
                break
            rows = again
    return run(schema_of(url)), history, rows


@contextlib.contextmanager
def _read_only_target(
    db_url: str, pg: Cluster, tmp_path: Path, how: str
) -> Iterator[tuple[Path, str]]:
    """A project one migration behind its target, reached read-only: (project, URL to use)."""
    project = make_project(tmp_path / "project", schema="schema.sql", dev_url=pg.url())
    (project / "schema.sql").write_text(DECLARED)
    write(project / "migrations", "20250401000001", "items", DECLARED.split(";")[0] + ";\n")
    write(project / "migrations", "20250401000002", "pending", "CREATE TABLE pending (a int);\n")
    admin_env = clean_env(tmp_path / "cache", DATABASE_URL=db_url)
    r = studio("migrate", "--yes", "--to", "20250401000001", cwd=project, env=admin_env)
    assert r.returncode == 0, r.stderr
    execute(db_url, "INSERT INTO items VALUES (1, 'one', 1)")
    dbname = db_url.rsplit("/", 1)[1]
    role = f"reader_{dbname}"
    url = db_url
    if how == "read-only-role":
        execute(
            db_url,
            f"CREATE ROLE {role} LOGIN; REVOKE ALL ON DATABASE {dbname} FROM PUBLIC; "
            f"GRANT CONNECT ON DATABASE {dbname} TO {role}; REVOKE CREATE ON SCHEMA public FROM"
            f" PUBLIC; GRANT USAGE ON SCHEMA public, schema_studio TO {role}; GRANT SELECT ON ALL"
            f" TABLES IN SCHEMA public, schema_studio TO {role}",
        )
        url = db_url.replace("postgres@", f"{role}@", 1)
    else:
        execute(db_url, f"ALTER DATABASE {dbname} SET default_transaction_read_only = on")
    try:
        yield project, url
    finally:
        if how == "read-only-role":
            execute(db_url, f"DROP OWNED BY {role} CASCADE; DROP ROLE {role}")
        else:
            execute(
                db_url,
                f"BEGIN READ WRITE; ALTER DATABASE {dbname} RESET default_transaction_read_only; "
                "COMMIT",
            )


@pytest.mark.parametrize("how", ["read-only-role", "default-transaction-read-only"])
def test_read_only_commands_never_write(db_url: str, pg: Cluster, tmp_path: Path, how: str) -> None:
    with _read_only_target(db_url, pg, tmp_path, how) as (project, url):
        env = clean_env(tmp_path / "cache", DATABASE_URL=url)
        before = _writes(db_url)
        for args in READ_ONLY:
            r = studio(*args, cwd=project, env=env)
            assert r.returncode in (0, 2), (how, args, r.stdout[-1500:], r.stderr[-1500:])
            assert "Traceback" not in r.stderr and "error:" not in r.stderr, (args, r.stderr)
        assert _writes(db_url) == before
        # the control: a command that writes is stopped by the same setup
        r = studio("migrate", "--yes", cwd=project, env=env)
        assert_one_line_error(
            r, "read-only transaction" if how != "read-only-role" else "privilege"
        )
        assert _writes(db_url) == before


@pytest.mark.parametrize("how", ["read-only-role", "default-transaction-read-only"])
def test_studio_browsing_never_writes(
    db_url: str, pg: Cluster, tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The studio opened on the same read-only target: both sides, the diff and the history load."""
    from studio.config import load
    from studio.tui.app import StudioApp
    from studio.tui.options import StudioOptions

    async def browse(app: StudioApp) -> str:
        async with app.run_test(size=(140, 45)) as pilot:
            for _ in range(60):  # let the workers read both sides and the drift (bounded)
                await pilot.pause(0.1)
                running = [w for w in app.workers if w.is_running and w.group != "monitor"]
                if not running and app.overview is not None and app.drift_report is not None:
                    break
            assert app.overview is not None and app.drift_error is None, app.drift_error
            return str(app.export_screenshot()).replace("&#160;", " ")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with _read_only_target(db_url, pg, tmp_path, how) as (project, url):
        before = _writes(db_url)
        screen = run(browse(StudioApp(StudioOptions(settings=load(project, db_override=url)))))
        for word in ("permission denied", "read-only transaction", "error"):
            assert word not in screen.lower(), word
        assert "1 pending" in screen
        assert _writes(db_url) == before


# --- production patterns --------------------------------------------------------------------------


def test_push_refuses_a_production_host_unless_forced(
    db_url: str, pg: Cluster, tmp_path: Path
) -> None:
    """The database name case is tests/db/test_generate.py::test_push_refuses_production_pattern."""
    project = make_project(
        tmp_path / "project",
        schema="schema.sql",
        dev_url=pg.url(),
        production_patterns=[r"^127\.0\.0\.1$"],
    )
    (project / "schema.sql").write_text(DECLARED)
    env = clean_env(tmp_path / "cache", DATABASE_URL=db_url)
    before = run(schema_of(db_url))
    r = studio("push", "--yes", cwd=project, env=env)
    assert_one_line_error(
        r,
        "refusing to push to a production database",
        "'127.0.0.1' matches production pattern",
        hint="--force",
    )
    assert run(schema_of(db_url)) == before
    r = studio("push", "--yes", "--force", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    assert query(db_url, "SELECT to_regclass('items') IS NOT NULL") == [(True,)]


# --- malformed URLs: the password masked by position, never by parsing ----------------------------


def _url_with(pg: Cluster, password: str, db: str = "postgres") -> str:
    """A URL whose password is written as is, reserved characters unencoded."""
    return f"postgresql://leaky:{password}@{pg.host}:{pg.port}/{db}"


@pytest.mark.parametrize("char", list("/?#@[]:%"))
@pytest.mark.parametrize("where", ["env", "db", "config"])
def test_a_malformed_url_never_shows_the_password(
    db_url: str, pg: Cluster, tmp_path: Path, char: str, where: str
) -> None:
    """A password with an unencoded reserved character: every error masks it, none echoes it."""
    before, after = secrets.token_hex(5), secrets.token_hex(5)
    password = f"A{before}{char}{after}"
    url = _url_with(pg, password, db_url.rsplit("/", 1)[1])
    config: dict[str, Any] = {"schema": "schema.sql"}
    if where == "config":
        config["dev_url"] = url
    project = make_project(tmp_path / "project", **config)
    (project / "schema.sql").write_text(DECLARED)
    write(project / "migrations", "20260101000000", "init", DECLARED)
    env = clean_env(tmp_path / "cache", DATABASE_URL=url if where == "env" else db_url)
    extra = ["--db", url] if where == "db" else []
    commands = (
        [["diff"]] if where == "config" else [["migrate", "--yes"], ["status", "--format", "json"]]
    )
    for args in commands:
        r = studio(*args, *extra, cwd=project, env=env)
        out = r.stdout + r.stderr
        assert before not in out and after not in out, (args, out)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
        if where == "config":
            assert_one_line_error(r, "dev_url holds a password")
        elif char in "/?#@[]":
            assert_one_line_error(r, "malformed URL postgresql://leaky:***@", "percent-encode")
    written = {
        k: v for k, v in snapshot_files(tmp_path).items() if not k.endswith("pyproject.toml")
    }
    assert before not in str(written)


@pytest.fixture
def own_devdb_dir() -> Iterator[Path]:
    """A folder for a dev server of the test's own.

    The server user may traverse it (root runs as postgres).
    """
    folder = Path(tempfile.mkdtemp(prefix="sst-devdb-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    for root in folder.glob("schema-studio-*"):
        for cluster in root.iterdir():
            if cluster.is_dir():
                with contextlib.suppress(Exception):
                    discard(cluster.name, root)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_dev_server_environment_is_built_from_nothing(
    db_url: str, tmp_path: Path, own_devdb_dir: Path
) -> None:
    """Declared SQL run as superuser on the dev server reads its environment.

    Nothing of ours is there.

    The attack of issue 14: `COPY ... FROM PROGRAM 'env'` into a comment that
    `diff` prints and the cache stores.
    """
    canary, other = f"Zq9{secrets.token_hex(6)}", f"Tok{secrets.token_hex(6)}"
    project = make_project(tmp_path / "project", schema="schema.sql")
    (project / "schema.sql").write_text(
        "CREATE TABLE spy (id int);\n"
        "DO $$ DECLARE e text; BEGIN\n"
        "  CREATE TEMP TABLE env_lines (line text);\n"
        "  COPY env_lines FROM PROGRAM 'env';\n"
        "  SELECT string_agg(line, ' ' ORDER BY line) INTO e FROM env_lines;\n"
        "  EXECUTE format('COMMENT ON TABLE spy IS %L', e);\n"
        "END $$;\n"
    )
    with_password = db_url.replace("://postgres@", f"://postgres:{canary}@")
    assert with_password != db_url
    cache = tmp_path / "cache"
    env = clean_env(
        cache,
        DATABASE_URL=with_password,
        APP_SECRET=other,
        PGOPTIONS="-c work_mem=7MB",
        STUDIO_DEVDB_DIR=str(own_devdb_dir),  # a dev server of this test's own
    )
    r = studio("diff", "--format", "json", cwd=project, env=env)
    assert r.returncode == 2, r.stderr
    comment = r.stdout  # the spy table's comment, in the JSON diff
    assert "PATH=" in comment, "the attack did not run: the test proves nothing"
    assert canary not in comment and other not in comment and "DATABASE_URL" not in comment
    assert "APP_SECRET" not in comment and "PGOPTIONS" not in comment
    names = set(re.findall(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", comment))
    assert names <= {
        "PATH",
        "LC_ALL",
        "LANG",
        "TZ",
        "HOME",
        "SHELL",
        "USER",
        "LOGNAME",
        "PWD",
        "PGDATA",
        "PG_GRANDPARENT_PID",
        "PGLOCALEDIR",
        "PGSYSCONFDIR",
        "SHLVL",
        "_",
        "LC_COLLATE",
        "LC_CTYPE",
        "LC_MESSAGES",
        "LC_MONETARY",
        "LC_NUMERIC",
        "LC_TIME",
    }, names
    for name, data in snapshot_files(cache).items():
        assert canary.encode() not in data and other.encode() not in data, name
