"""Config file, overrides, password refusal and DSN masking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studio.commands.migrate import backfill_options
from studio.config import (
    Settings,
    has_password,
    load,
    mask_dsn,
    scrub,
    scrub_secrets,
    secrets_in,
    url_problem,
)
from studio.errors import ConfigError
from studio.run.backfill import Options


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f"[project]\nname='x'\n\n[tool.schema-studio]\n{body}\n"
    )
    return tmp_path


def test_defaults_without_config(tmp_path: Path) -> None:
    s = load(tmp_path)
    assert s.root is None
    assert s.database_url_env == "DATABASE_URL"
    assert s.lock_timeout == "1s"
    assert s.retries == 30
    assert s.queue_guard == 0.03
    assert s.history_table == "schema_studio.migrations"


def test_config_values_and_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        'schema = "app.models:metadata"\nschemas = ["app"]\nlock-timeout = "2s"\nretries = 3',
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    s = load(nested, retries=5, schemas=("other",))
    assert s.root == tmp_path
    assert s.schema == "app.models:metadata"
    assert s.lock_timeout == "2s"
    assert s.retries == 5
    assert s.schemas == ("other",)
    assert s.migrations_dir == tmp_path / "migrations"


def test_schema_as_a_list_and_exclude(tmp_path: Path) -> None:
    write(tmp_path, 'schema = ["app.models:Base", "db/schema/"]\nexclude = ["public.legacy_*"]')
    s = load(tmp_path)
    assert s.schema == ("app.models:Base", "db/schema/")
    assert s.exclude == ("public.legacy_*",)


def test_unknown_key_refused(tmp_path: Path) -> None:
    write(tmp_path, 'shema = "x:y"')
    with pytest.raises(ConfigError, match="unknown key 'shema'"):
        load(tmp_path)


@pytest.mark.parametrize(
    "body",
    [
        'dev_url = "postgresql://bob:hunter2@localhost/dev"',
        'password = "hunter2"',
        'dev_url = "postgresql://bob@h/d?password=hunter2"',
    ],
)
def test_password_in_config_refused(tmp_path: Path, body: str) -> None:
    write(tmp_path, body)
    with pytest.raises(ConfigError) as e:
        load(tmp_path)
    assert "hunter2" not in str(e.value)
    assert "PGPASSWORD" in e.value.hint


def test_bad_duration_and_type(tmp_path: Path) -> None:
    write(tmp_path, 'lock_timeout = "soon"')
    with pytest.raises(ConfigError, match="not a duration"):
        load(tmp_path)
    write(tmp_path, 'retries = "ten"')
    with pytest.raises(ConfigError, match="wrong type"):
        load(tmp_path)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("retries = -5", "retries = -5 must be at least 0"),
        ("retries = true", "retries has the wrong type (bool)"),
        ("connect_timeout = 0", "connect_timeout = 0 must be more than 0"),
        ("connect_timeout = -1.5", "connect_timeout = -1.5 must be more than 0"),
        ("connect_timeout = inf", "connect_timeout = inf is not a finite number"),
        ("queue_guard = -1", "queue_guard = -1 must be at least 0"),
        ("max_replica_lag = -2", "max_replica_lag = -2 must be at least 0"),
        ("expand_contract_rows = -1", "expand_contract_rows = -1 must be at least 0"),
        ("backfill_batch_size = 0", "backfill_batch_size = 0 must be at least 1"),
        ("backfill_pause = -0.5", "backfill_pause = -0.5 must be at least 0"),
        ("backfill_pause = nan", "backfill_pause = nan is not a finite number"),
        ("dev_idle_timeout = -1", "dev_idle_timeout = -1 must be at least 0"),
        ('dev_idle_timeout = "15min"', "dev_idle_timeout has the wrong type (str)"),
        ('history_table = "a.b.c"', "history_table = 'a.b.c' is not a table name"),
        ('history_table = "ops."', "history_table = 'ops.' is not a table name"),
        ('history_table = ""', "history_table = '' is not a table name"),
        ("schema = []", "schema = [] names no source"),
        ('schema = ["app.models:Base", 3]', "schema must be a list of non-empty strings"),
        ('exclude = [""]', "exclude must be a list of non-empty strings"),
    ],
)
def test_values_that_cannot_work_refused(tmp_path: Path, body: str, words: str) -> None:
    write(tmp_path, body)
    with pytest.raises(ConfigError, match=re.escape(words)) as e:
        load(tmp_path)
    assert e.value.hint


@pytest.mark.parametrize(
    "body",
    [
        "retries = 0",
        "queue_guard = 0",
        "max_replica_lag = 0",
        "connect_timeout = 0.5",
        "backfill_batch_size = 1",
        'history_table = "h"',
    ],
)
def test_boundary_values_accepted(tmp_path: Path, body: str) -> None:
    write(tmp_path, body)
    load(tmp_path)


def test_dev_idle_timeout_from_config_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seconds, fractions allowed; STUDIO_DEV_IDLE_TIMEOUT wins over the file, and is checked."""
    monkeypatch.delenv("STUDIO_DEV_IDLE_TIMEOUT")  # the test session sets it to 0
    assert load(tmp_path).dev_idle_timeout == Settings().dev_idle_timeout == 900
    write(tmp_path, "dev_idle_timeout = 1.5")
    assert load(tmp_path).dev_idle_timeout == 1.5
    monkeypatch.setenv("STUDIO_DEV_IDLE_TIMEOUT", "0")
    assert load(tmp_path).dev_idle_timeout == Settings().dev_idle_timeout == 0
    for bad in ("soon", "-2", "nan"):
        monkeypatch.setenv("STUDIO_DEV_IDLE_TIMEOUT", bad)
        with pytest.raises(ConfigError, match="STUDIO_DEV_IDLE_TIMEOUT") as e:
            load(tmp_path)
        assert "0 stops it at once" in e.value.hint


def test_backfill_options_fall_back_to_the_config() -> None:
    """`migrate`'s --batch-size and --pause (and the studio's options) win; else the config's."""
    config = Settings(backfill_batch_size=500, backfill_pause=0.25)
    assert backfill_options(config) == Options(batch_size=500, pause=0.25)
    assert backfill_options(config, 100, 0.0, run=False) == Options(100, 0.0, run=False)
    assert backfill_options(Settings()) == Options()


def test_database_url_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, 'database_url_env = "APP_DB"')
    monkeypatch.setenv("APP_DB", "postgresql://u@h/d")
    assert load(tmp_path).database_url() == "postgresql://u@h/d"
    assert load(tmp_path, db_override="postgresql://x@y/z").database_url() == "postgresql://x@y/z"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://bob:s3cret@h:5432/db", "postgresql://bob:***@h:5432/db"),
        ("postgresql://bob@h/db", "postgresql://bob@h/db"),
        (
            "postgresql://h/db?sslmode=require&password=s3cret",
            "postgresql://h/db?sslmode=require&password=***",
        ),
        ("postgresql://bob:s3cret@[bad/db", "postgresql://bob:***@[bad/db"),
        ("host=h password=s3cret dbname=d", "host=h password=*** dbname=d"),
        ("host=h password='s3cret word' dbname=d", "host=h password=*** dbname=d"),
        # unencoded reserved characters: masked by position (from :// to the last @), not by parsing
        ("postgresql://bob:ab/s3cret@h:5432/db", "postgresql://bob:***@h:5432/db"),
        ("postgresql://bob:s3cret#x@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://bob:s3?cret@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://bob:s3@cret@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://bob:s3[cret]@h/db", "postgresql://bob:***@h/db"),
        ("postgresql://b/s3cret@h/db", "postgresql://***@h/db"),
        ("bob:s3cret@h/db", "***@h/db"),
    ],
)
def test_mask_dsn(url: str, masked: str) -> None:
    assert mask_dsn(url) == masked
    assert "s3cret" not in mask_dsn(url)


def test_url_problem_never_quotes_the_password() -> None:
    assert url_problem("postgresql://bob:s3cret@h:5432/db") is None
    for url in (
        "postgresql://bob:ab/s3cret@h/db",
        "postgresql://bob:s3#cret@h/db",
        "postgresql://bob:s3@cret@h/db",
    ):
        problem = url_problem(url)
        assert problem is not None and "percent-encode" in problem and "s3" not in problem
    problem = url_problem("postgresql://bob:s3cret@h:99999/db")
    assert problem is not None and "s3cret" not in problem


def test_scrub_secrets() -> None:
    given = secrets_in(
        {"DATABASE_URL": "postgresql://a:pa%2Fss@h/d", "PGPASSWORD": "pgpw1"},
        ["--db", "postgresql://a:x/yz9@h"],
    )
    text = "saw pa/ss, pa%2Fss, pgpw1 and x/yz9"
    assert scrub_secrets(text, given) == "saw ***, ***, *** and ***"
    assert scrub("bad pa/ss", "postgresql://a:pa/ss@h") == "bad ***"


def test_has_password() -> None:
    assert has_password("postgresql://a:b@h/d")
    assert has_password("postgresql://a:b#c@h/d")
    assert has_password("postgresql://a:b/c@h/d")
    assert has_password("postgresql://h/d?password=x")
    assert not has_password("postgresql://a@h/d")


def test_fleet_table(tmp_path: Path) -> None:
    """[tool.schema-studio.fleet]: one way of naming the targets, and never a URL."""
    fleet = "\n[tool.schema-studio.fleet]\n"
    s = load(write(tmp_path, fleet + 'targets = ["TENANT_A_URL", "TENANT_B_URL"]\nparallel = 2'))
    assert s.fleet is not None and s.fleet.targets == ("TENANT_A_URL", "TENANT_B_URL")
    assert (s.fleet.mode, s.fleet.parallel) == ("targets", 2)
    s = load(write(tmp_path, fleet + 'schemas = "SELECT nspname FROM pg_namespace"'))
    assert s.fleet is not None and s.fleet.mode == "schemas" and s.fleet.parallel is None
    bad = {
        'targets = ["postgresql://u:hunter2@db/x"]': "targets names environment variables, not",
        'targets = ["A"]\ndiscover = "SELECT 1"': "(targets and discover given)",
        "parallel = 2": "(none of them given)",
        'discover = "SELECT 1"\nparallel = 0': "parallel must be at least 1",
        'discover = "SELECT 1"\nurl = "x"': "unknown key 'url'",
        "discover = 1": "discover has the wrong type (int)",
    }
    for body, said in bad.items():
        with pytest.raises(ConfigError) as e:
            load(write(tmp_path, fleet + body))
        assert said in e.value.message, body
        assert "hunter2" not in e.value.message
