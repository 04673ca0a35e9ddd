"""`init` without a database: the section it writes, what it finds, what it refuses."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.commands.init import discover

MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

metadata = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s"})


class Base(DeclarativeBase):
    metadata = metadata


class Tag(Base):
    __tablename__ = "tags"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("APP_DB", raising=False)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    return tmp_path


def studio(*args: str) -> Result:
    return CliRunner().invoke(cli, ["init", *args], catch_exceptions=False)


def test_discovery_reads_without_importing(project: Path) -> None:
    """A DeclarativeBase subclass (hiding its module's MetaData), a MetaData elsewhere, a
    declarative_base(); never tests, virtualenvs or hidden folders; nothing is imported."""
    (project / "src" / "shop").mkdir(parents=True)
    (project / "src" / "shop" / "db.py").write_text(
        "from sqlalchemy import MetaData\nraise SystemExit('imported!')\n"
        "meta: MetaData = MetaData()\n"
    )
    (project / "legacy.py").write_text(
        "from sqlalchemy.orm import declarative_base\nOldBase = declarative_base()\n"
    )
    for skipped in ("tests", ".venv/lib", ".hidden", "env"):
        (project / skipped).mkdir(parents=True)
        (project / skipped / "models.py").write_text(MODELS)
    (project / "env" / "pyvenv.cfg").write_text("")
    (project / "broken.py").write_text("def (:\n")
    found = [(d.spec, d.kind, d.line) for d in discover(project)]
    assert found == [
        ("app.models:Base", "DeclarativeBase", 7),
        ("legacy:OldBase", "declarative_base()", 2),
        ("shop.db:meta", "MetaData", 3),
    ]


def test_flags_write_the_section_and_say_what_next(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    before = '[project]\nname = "shop"\n\n[tool.ruff]\nline-length = 100'  # no final newline
    pyproject.write_text(before)
    old = os.umask(0o022)
    try:
        r = studio("--migrations-dir", "db/migrations", "--db-env", "APP_DB")
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    text = pyproject.read_text()
    assert text.startswith(before + "\n")  # what was there is kept, byte for byte
    section = tomllib.loads(text)["tool"]["schema-studio"]
    assert section == {
        "schema": "app.models:Base",  # the one found
        "migrations": "db/migrations",
        "database_url_env": "APP_DB",
    }
    assert "postgresql://" not in text
    assert oct(pyproject.stat().st_mode & 0o777) == oct(0o644)
    assert (project / "db" / "migrations").is_dir()
    assert "next: export APP_DB=postgresql://" in r.stderr
    assert "next: schema-studio generate" in r.stderr
    # a second init refuses, in one line, and leaves the file as it is
    again = studio("--schema", "other:Base")
    assert again.exit_code == 1
    assert again.stderr.startswith(f"error: {pyproject} already has [tool.schema-studio]")
    assert pyproject.read_text() == text


def test_refuses_to_guess_and_creates_a_pyproject(project: Path) -> None:
    (project / "more.py").write_text("import sqlalchemy\nmeta = sqlalchemy.MetaData()\n")
    r = studio()
    assert r.exit_code == 1
    assert "2 declared schemas found: app.models:Base, more:meta" in r.stderr
    assert not (project / "pyproject.toml").exists()
    chosen = studio("--schema", "more:meta", "--format", "json")
    assert chosen.exit_code == 0, chosen.output
    assert (
        tomllib.loads((project / "pyproject.toml").read_text())["tool"]["schema-studio"]["schema"]
        == "more:meta"
    )
    empty = project / "empty"
    empty.mkdir()
    os.chdir(empty)
    none = studio()
    assert none.exit_code == 1 and "no SQLAlchemy DeclarativeBase or MetaData found" in none.stderr
    assert "--schema" in none.stderr and "--pull" in none.stderr
