"""Settings: `[tool.schema-studio]` in the nearest pyproject.toml, then the environment.

Credentials never live in the config file: the database URL comes from an
environment variable (`DATABASE_URL` by default) or `--db`, and a password
comes from that URL or libpq's own conventions (PGPASSWORD, ~/.pgpass),
which asyncpg honours. `mask_dsn()` is the one helper that hides a password
in any DSN shown to the user.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from studio.errors import ConfigError, UsageError

PYPROJECT = "pyproject.toml"
SECTION = "schema-studio"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command needs to know, after config file and options are merged."""

    # project root: the folder holding the pyproject.toml (None when there is none)
    root: Path | None = None
    # declared schema: `package.module:attr`, a .sql file or folder, or "migrations"
    schema: str | None = None
    migrations: str = "migrations"
    database_url_env: str = "DATABASE_URL"
    dev_url: str | None = None
    schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    history_table: str = "schema_studio.migrations"
    lock_timeout: str = "500ms"
    statement_timeout: str = "0"
    retries: int = 10
    connect_timeout: float = 10.0
    # seconds a step may wait for its lock while others queue behind it
    queue_guard: float = 1.0
    # database names or hosts (regular expressions) that `push` refuses without --force
    production_patterns: tuple[str, ...] = ()
    # row count from which generate plans renames and rewriting type changes as expand/contract
    expand_contract_rows: int = 1_000_000
    # rows per backfill batch (None: the step's own batch_size, 10,000 when generated)
    backfill_batch_size: int | None = None
    # seconds to pause between backfill batches
    backfill_pause: float = 0.0
    # the URL given with --db, if any (wins over the environment)
    db_override: str | None = field(default=None, repr=False)

    @property
    def migrations_dir(self) -> Path:
        """The migrations directory, relative to the project root."""
        base = self.root or Path.cwd()
        return base / self.migrations

    def database_url(self, *, required: bool = True) -> str | None:
        """The target database URL: --db, else the configured environment variable."""
        url = self.db_override or os.environ.get(self.database_url_env) or None
        if url is None and required:
            raise UsageError(
                f"no database given: pass --db URL or set {self.database_url_env}",
                "e.g. export DATABASE_URL=postgresql://user@host/dbname",
            )
        return url


_KEYS: dict[str, type | tuple[type, ...]] = {
    "schema": str,
    "migrations": str,
    "database_url_env": str,
    "dev_url": str,
    "schemas": list,
    "exclude_schemas": list,
    "history_table": str,
    "lock_timeout": (str, int),
    "statement_timeout": (str, int),
    "retries": int,
    "connect_timeout": (int, float),
    "queue_guard": (int, float),
    "production_patterns": list,
    "expand_contract_rows": int,
    "backfill_batch_size": int,
    "backfill_pause": (int, float),
}


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at or above `start` (default: the current folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def load(start: Path | None = None, **overrides: Any) -> Settings:
    """Read the nearest `[tool.schema-studio]` and apply non-None `overrides`."""
    path = find_pyproject(start)
    values: dict[str, Any] = {}
    root: Path | None = None
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read {path}: {e}") from None
        section = data.get("tool", {}).get(SECTION)
        if section is not None:
            root = path.parent
            values = _validate(section, path)
    for key, value in overrides.items():
        if value is None or value == ():
            continue
        values[key] = value
    if "schemas" in values:
        values["schemas"] = tuple(values["schemas"])
    if "exclude_schemas" in values:
        values["exclude_schemas"] = tuple(values["exclude_schemas"])
    if "production_patterns" in values:
        values["production_patterns"] = tuple(values["production_patterns"])
    for key in ("lock_timeout", "statement_timeout"):
        if key in values:
            values[key] = _duration(key, values[key])
    return Settings(root=root, **values)


def _validate(section: dict[str, Any], path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in section.items():
        key_ = key.replace("-", "_")
        if key_ in ("password", "db_password", "pgpassword"):
            raise ConfigError(
                f"{path}: [tool.{SECTION}] holds a password; the config file is committed and must not",
                "export it as PGPASSWORD, or put it in ~/.pgpass",
            )
        if key_ not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.{SECTION}]", f"known keys: {known}")
        if not isinstance(value, _KEYS[key_]):
            raise ConfigError(f"{path}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, str) and has_password(value):
            raise ConfigError(
                f"{path}: {key} holds a password; the config file is committed and must not",
                "remove the password from the URL and export it as PGPASSWORD, or put it in ~/.pgpass",
            )
        out[key_] = value
    return out


_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*(us|ms|s|min|h|d)?\s*$")


def _duration(key: str, value: str | int) -> str:
    """Check a PostgreSQL duration setting ('500ms', '2s', 0) and return it as text."""
    text = str(value)
    if not _DURATION.match(text):
        raise ConfigError(f"{key} = {text!r} is not a duration", "use a number with a unit, e.g. '500ms' or '2s'")
    return text.replace(" ", "")


def has_password(url: str) -> bool:
    """Whether a connection URL carries a password (in the userinfo or as a parameter)."""
    if "://" not in url:
        return bool(re.search(r"(^|\s)password\s*=", url))
    try:
        parts = urlsplit(url)
        return parts.password is not None or bool(re.search(r"(^|&)password=", parts.query))
    except ValueError:  # malformed: judge by shape, the connect step reports the error
        return bool(re.search(r"://[^/@]*:[^/@]*@|password=", url))


def mask_dsn(url: str) -> str:
    """The URL with any password replaced by `***`, safe to show."""
    if "://" not in url:
        return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", url)
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostinfo = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            masked_user = f"{user}:***" if ":" in userinfo else user
            netloc = f"{masked_user}@{hostinfo}"
        query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # malformed: mask by shape so the user still sees what they typed
        masked = re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)
        return re.sub(r"(password=)[^&]*", r"\1***", masked)


def database_name(url: str) -> str:
    """The database name a URL points at (for messages)."""
    try:
        return unquote(urlsplit(url).path.lstrip("/")) or "(default)"
    except ValueError:
        return "(unknown)"


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with the given fields replaced (None values ignored)."""
    return dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
