"""Settings: `[tool.schema-studio]` in the nearest pyproject.toml, then the environment.

Credentials never live in the config file: the database URL comes from an
environment variable (`DATABASE_URL` by default) or `--db`, and a password
comes from that URL or libpq's own conventions (PGPASSWORD, ~/.pgpass),
which asyncpg honours. `mask_dsn()` is the one helper that hides a password
in any DSN shown to the user.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from studio.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

PYPROJECT = "pyproject.toml"
SECTION = "schema-studio"
# seconds the dev server stays up after the last command that used it (15 minutes)
DEV_IDLE_TIMEOUT = 900.0
# overrides dev_idle_timeout of every project (the tests and CI set it to 0)
DEV_IDLE_TIMEOUT_ENV = "STUDIO_DEV_IDLE_TIMEOUT"


def env_idle_timeout() -> float | None:
    """`STUDIO_DEV_IDLE_TIMEOUT` in seconds, when it is set; ConfigError when it is no number."""
    text = os.environ.get(DEV_IDLE_TIMEOUT_ENV, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"{DEV_IDLE_TIMEOUT_ENV}={text!r} is not a number of seconds",
            _LIMITS["dev_idle_timeout"][2],
        )
    return value


def _default_idle_timeout() -> float:
    env = env_idle_timeout()
    return DEV_IDLE_TIMEOUT if env is None else env


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """`[tool.schema-studio.fleet]`: which targets a `--fleet` command runs on (exactly one way).

    No URL lives here: `targets` names environment variables holding them,
    and `discover` and `schemas` are queries run on the configured database.
    """

    # names of environment variables, each holding one target's URL
    targets: tuple[str, ...] = ()
    # SQL returning database names on the configured server, or URLs, in the first column
    discover: str | None = None
    # SQL returning schema names: schema-per-tenant, each schema migrated with its own history
    schemas: str | None = None
    # targets worked on at once (--parallel overrides; None: 8 for status and check, which
    # only read, 4 for migrate and rollback)
    parallel: int | None = None

    @property
    def mode(self) -> str:
        """`targets`, `discover` or `schemas`: how the targets are found."""
        return "targets" if self.targets else "discover" if self.discover else "schemas"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command needs to know, after config file and options are merged."""

    # project root: the folder holding the pyproject.toml (None when there is none)
    root: Path | None = None
    # declared schema: `package.module:attr`, a .sql file or folder, or "migrations"; or a
    # list of targets and .sql files or folders, materialized in order as one schema
    schema: str | tuple[str, ...] | None = None
    migrations: str = "migrations"
    database_url_env: str = "DATABASE_URL"
    dev_url: str | None = None
    schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    # objects left out of both sides before diffing: `[kind:]glob` over schema.name
    # (studio.model.exclude)
    exclude: tuple[str, ...] = ()
    history_table: str = "schema_studio.migrations"
    # how long one attempt of a step may wait for its lock while nobody queues behind it
    # (the queue guard watching); without the guard, an attempt waits at most queue_guard
    lock_timeout: str = "1s"
    statement_timeout: str = "0"
    # the server ends a migrator session idle this long inside a transaction: a frozen
    # migrator would otherwise hold its locks, and stall the application, without limit
    idle_in_transaction_timeout: str = "5s"
    # attempts after the first, backed off with jitter (studio.run.executor.Backoff): the
    # step's budget, 27-53 s of backoff, after which it gives up naming its blocker
    retries: int = 30
    connect_timeout: float = 10.0
    # seconds a step may wait for its lock while others queue behind it: the most the
    # application waits behind a migration, give or take one poll of the guard
    queue_guard: float = 0.03
    # seconds of replay lag a standby may reach before backfill batches pause (they resume
    # under half of it); 0 turns the throttle off (studio.run.replicas)
    max_replica_lag: float = 10.0
    # database names or hosts (regular expressions) that `push` refuses without --force
    production_patterns: tuple[str, ...] = ()
    # row count from which generate plans renames and rewriting type changes as expand/contract
    expand_contract_rows: int = 1_000_000
    # rows per backfill batch (None: the step's own batch_size, 10,000 when generated)
    backfill_batch_size: int | None = None
    # seconds to pause between backfill batches
    backfill_pause: float = 0.0
    # seconds the dev server stays up after the last command that used it (0: stopped at once);
    # STUDIO_DEV_IDLE_TIMEOUT wins over the config file
    dev_idle_timeout: float = field(default_factory=_default_idle_timeout)
    # `[tool.schema-studio.fleet]`: the databases (or schemas) a `--fleet` command runs on
    fleet: FleetConfig | None = None
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
    "schema": (str, list),
    "migrations": str,
    "database_url_env": str,
    "dev_url": str,
    "schemas": list,
    "exclude_schemas": list,
    "exclude": list,
    "history_table": str,
    "lock_timeout": (str, int),
    "statement_timeout": (str, int),
    "idle_in_transaction_timeout": (str, int),
    "retries": int,
    "connect_timeout": (int, float),
    "queue_guard": (int, float),
    "max_replica_lag": (int, float),
    "production_patterns": list,
    "expand_contract_rows": int,
    "backfill_batch_size": int,
    "backfill_pause": (int, float),
    "dev_idle_timeout": (int, float),
    "fleet": dict,
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
    if (idle := env_idle_timeout()) is not None:
        values["dev_idle_timeout"] = idle
    for key, value in overrides.items():
        if value is None or value == ():
            continue
        values[key] = value
    if "schemas" in values:
        values["schemas"] = tuple(values["schemas"])
    if "exclude_schemas" in values:
        values["exclude_schemas"] = tuple(values["exclude_schemas"])
    if isinstance(values.get("schema"), list):
        values["schema"] = tuple(values["schema"])
    if "exclude" in values:
        values["exclude"] = tuple(values["exclude"])
    if "production_patterns" in values:
        values["production_patterns"] = tuple(values["production_patterns"])
    for key in ("lock_timeout", "statement_timeout", "idle_in_transaction_timeout"):
        if key in values:
            values[key] = _duration(key, values[key])
    return Settings(root=root, **values)


def _validate(section: dict[str, Any], path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in section.items():
        key_ = key.replace("-", "_")
        if key_ in ("password", "db_password", "pgpassword"):
            raise ConfigError(
                f"{path}: [tool.{SECTION}] holds a password;"
                " the config file is committed and must not",
                "export it as PGPASSWORD, or put it in ~/.pgpass",
            )
        if key_ not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(
                f"{path}: unknown key {key!r} in [tool.{SECTION}]", f"known keys: {known}"
            )
        if not isinstance(value, _KEYS[key_]):
            raise ConfigError(f"{path}: {key} has the wrong type ({type(value).__name__})")
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and has_password(v) for v in texts):
            raise ConfigError(
                f"{path}: {key} holds a password; the config file is committed and must not",
                "remove the password from the URL and export it as"
                " PGPASSWORD, or put it in ~/.pgpass",
            )
        _check_value(key_, value, path)
        # `fleet` is the one table among the keys
        out[key_] = fleet_config(value, path) if isinstance(value, dict) else value
    return out


_FLEET_KEYS: dict[str, type] = {
    "targets": list,
    "discover": str,
    "schemas": str,
    "parallel": int,
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FLEET_HINT = (
    'targets = ["TENANT_A_URL", ...] names variables holding URLs; discover = "SELECT ..."'
    ' returns database names or URLs; schemas = "SELECT ..." returns schema names'
)


def fleet_config(table: dict[str, Any], path: Path) -> FleetConfig:
    """`[tool.schema-studio.fleet]`, checked: one way of naming the targets, and no URL."""
    where = f"{path}: [tool.{SECTION}.fleet]"
    values: dict[str, Any] = {}
    for key, value in table.items():
        key_ = key.replace("-", "_")
        if key_ not in _FLEET_KEYS:
            known = ", ".join(sorted(_FLEET_KEYS))
            raise ConfigError(f"{where}: unknown key {key!r}", f"known keys: {known}")
        if isinstance(value, bool) or not isinstance(value, _FLEET_KEYS[key_]):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__})")
        values[key_] = value
    ways = [k for k in ("targets", "discover", "schemas") if values.get(k)]
    if len(ways) != 1:
        said = " and ".join(ways) if ways else "none of them"
        raise ConfigError(
            f"{where} must name its targets one way: targets, discover or schemas ({said} given)",
            _FLEET_HINT,
        )
    for name in values.get("targets", ()):
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            # a URL here would be committed, its password with it: only the variable's name
            shown = mask_dsn(name) if isinstance(name, str) else repr(name)
            raise ConfigError(
                f"{where}: targets names environment variables, not {shown!r}",
                "put each URL in an environment variable and list the variables' names",
            )
    if values.get("parallel", 1) < 1:
        raise ConfigError(f"{where}: parallel must be at least 1")
    if "targets" in values:
        values["targets"] = tuple(dict.fromkeys(values["targets"]))
    return FleetConfig(**values)


# the least each numeric key accepts, whether that least itself is accepted, and what it means
_LIMITS: dict[str, tuple[float, bool, str]] = {
    "retries": (0, True, "retries after a lock timeout: 0 turns them off (default 30)"),
    "connect_timeout": (0, False, "seconds to wait for a connection (default 10)"),
    "queue_guard": (
        0,
        True,
        "seconds a step may queue the application: 0 turns the guard off (default 0.03)",
    ),
    "max_replica_lag": (
        0,
        True,
        "seconds of standby replay lag that pause a backfill: 0 turns the throttle off"
        " (default 10)",
    ),
    "expand_contract_rows": (
        0,
        True,
        "rows from which generate plans expand/contract (default 1000000)",
    ),
    "backfill_batch_size": (1, True, "rows per backfill batch, e.g. 10000"),
    "backfill_pause": (0, True, "seconds between backfill batches (default 0)"),
    "dev_idle_timeout": (
        0,
        True,
        "seconds the dev server stays up after the last command: 0 stops it at once (default 900)",
    ),
}


def _check_value(key: str, value: Any, path: Path) -> None:
    """Refuse a value of the right type that cannot work."""
    if isinstance(value, bool):  # TOML's true passes for an int; no key is a flag
        raise ConfigError(f"{path}: {key} has the wrong type (bool)")
    if key in _LIMITS:
        _number(key, value, path)
    elif key == "history_table":
        split_table_name(value)
    elif key == "production_patterns":
        for pattern in value:
            _regex(pattern, path)
    elif key in ("schema", "exclude") and isinstance(value, list):
        _strings(key, value, path)


def _strings(key: str, value: list[Any], path: Path) -> None:
    """A list of non-empty strings (`schema` must name at least one source)."""
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f"{path}: {key} must be a list of non-empty strings",
            'e.g. schema = ["app.models:Base", "db/schema/"], exclude = ["public.legacy_*"]',
        )
    if key == "schema" and not value:
        raise ConfigError(
            f"{path}: schema = [] names no source",
            'e.g. schema = ["app.models:Base", "db/schema/"]',
        )


def _number(key: str, value: float, path: Path) -> None:
    least, inclusive, meaning = _LIMITS[key]
    if not math.isfinite(value):
        raise ConfigError(f"{path}: {key} = {value!r} is not a finite number", meaning)
    if value < least or (value == least and not inclusive):
        bound = f"at least {least:g}" if inclusive else f"more than {least:g}"
        raise ConfigError(f"{path}: {key} = {value!r} must be {bound}", meaning)


def split_table_name(text: str) -> tuple[str, str]:
    """`schema.table`, or `table` (in public), as (schema, table)."""
    parts = text.split(".")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        # a third name would become part of the schema's name (a.b.c: schema "a.b")
        raise ConfigError(
            f"history_table = {text!r} is not a table name",
            "use table or schema.table: one or two names,"
            " no other dot (default schema_studio.migrations)",
        )
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0])


def _regex(pattern: Any, path: Path) -> None:
    # compiled here, not where `push` first searches with it, so every command says it
    try:
        re.compile(pattern)
    except (re.error, TypeError) as e:
        raise ConfigError(
            f"{path}: production_patterns: {pattern!r} is not a regular expression ({e})",
            r"patterns are Python regular expressions:"
            r" escape ( ) [ ] . * + ? with a backslash, e.g. 'prod\('",
        ) from None


_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*(us|ms|s|min|h|d)?\s*$")


def _duration(key: str, value: str | int) -> str:
    """Check a PostgreSQL duration setting ('500ms', '2s', 0) and return it as text."""
    text = str(value)
    if not _DURATION.match(text):
        raise ConfigError(
            f"{key} = {text!r} is not a duration", "use a number with a unit, e.g. '500ms' or '2s'"
        )
    return text.replace(" ", "")


_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def attempt_lock_timeout(settings: Settings, *, watching: bool) -> str:
    """The lock_timeout one attempt of a transactional step runs under.

    `lock_timeout` while the queue guard watches (it cancels a wait that
    queues someone after `queue_guard`) or is turned off (0); else the
    shorter of `lock_timeout` and `queue_guard`, so the server itself ends a
    wait the application may be queued behind.
    """
    guard = settings.queue_guard
    whole = duration_seconds(settings.lock_timeout)
    if watching or guard <= 0 or 0 < whole <= guard:
        return settings.lock_timeout
    # lock_timeout takes whole milliseconds
    return f"{max(1, round(guard * 1000))}ms"


def duration_seconds(text: str) -> float:
    """A checked duration setting in seconds.

    A bare number is milliseconds, as PostgreSQL reads it.
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text)
    if m is None or m[2] not in ("", *_SECONDS):
        raise ValueError(f"not a duration: {text!r}")
    return float(m[1]) * _SECONDS.get(m[2], 1e-3)


# keyword/value DSNs: password=secret, password='a secret', password = 'it''s'
_KEYWORD_PASSWORD = re.compile(
    r"((?:^|\s)\w*password\s*=\s*)('(?:[^'\\]|\\.|'')*'?|\S*)", re.IGNORECASE
)
# a password given as a URL parameter: ?password=..., &sslpassword=...
_QUERY_PASSWORD = re.compile(r"([?&]\w*password=)[^&]*", re.IGNORECASE)
# characters that end the userinfo early when a password holds them unencoded
_RESERVED = "/?#[]"


def _userinfo(url: str) -> tuple[str, str | None, str]:
    """(`scheme://`, userinfo or None, the rest), split by position, not by parsing.

    The userinfo is everything between `://` and the last `@`, so a password
    holding an unencoded `/`, `?`, `#` or `@` (which a URL parser splits
    elsewhere, or refuses) is still known to be one.
    """
    head, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return head + sep, None, rest
    return head + sep, rest[:at], rest[at + 1 :]


def has_password(url: str) -> bool:
    """Whether a connection URL carries a password (in the userinfo or as a parameter)."""
    if "://" not in url:
        return bool(re.search(r"(^|\s)password\s*=", url, re.IGNORECASE))
    _, userinfo, rest = _userinfo(url)
    return (userinfo is not None and ":" in userinfo) or bool(_QUERY_PASSWORD.search(rest))


def mask_dsn(url: str) -> str:
    """The URL with any password replaced by `***`, safe to show, however malformed.

    Masks by position: a user name is shown only when it is plainly one.
    """
    if "://" not in url:
        masked = _KEYWORD_PASSWORD.sub(r"\1***", url)
        if "@" in masked:  # not a URL, yet shaped like user:password@host
            masked = "***@" + masked.rpartition("@")[2]
        return masked
    head, userinfo, rest = _userinfo(url)
    rest = _QUERY_PASSWORD.sub(r"\1***", rest)
    if userinfo is None:
        return head + rest
    user, colon, _ = userinfo.partition(":")
    if any(c in user for c in _RESERVED + "@"):
        user, colon = "***", ""
    return f"{head}{user}{':***' if colon else ''}@{rest}"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be used as a PostgreSQL URL, in words that hold no part of its password."""
    _, userinfo, _ = _userinfo(url)
    if userinfo is not None and any(c in userinfo for c in _RESERVED + "@"):
        # asyncpg splits the userinfo off at the first @, PostgreSQL's own libpq likewise
        return (
            "the user or password holds a reserved character (/ ? # @ [ ]);"
            " percent-encode it (/ is %2F, @ is %40)"
        )
    try:
        urlsplit(mask_dsn(url)).port  # noqa: B018  (raises on a malformed host or port)
    except ValueError as e:
        return str(e)
    return None


def scrub(text: str, url: str) -> str:
    """`text` with every trace of `url`'s password (as typed, or decoded) replaced by `***`."""
    return scrub_secrets(text, secrets_in({}, [url]))


def scrub_secrets(text: str, secrets_: set[str]) -> str:
    """`text` with each secret replaced by `***`.

    Only secrets of 3 characters or more: shorter ones would garble it.
    """
    for secret in sorted(secrets_, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def secrets_in(environ: Mapping[str, str], argv: list[str]) -> set[str]:
    """Every password the process was given.

    PGPASSWORD, and those inside URLs in the environment or arguments.
    """
    found = {environ.get("PGPASSWORD", "")}
    for value in [*environ.values(), *argv]:
        if "://" in value:
            _, userinfo, rest = _userinfo(value)
            if userinfo is not None and ":" in userinfo:
                found.add(userinfo.partition(":")[2])
            found.update(m.group(0).partition("=")[2] for m in _QUERY_PASSWORD.finditer(rest))
    return found | {unquote(s) for s in found}


def database_name(url: str) -> str:
    """The database name a URL points at (for messages)."""
    try:
        return unquote(urlsplit(url).path.lstrip("/")) or "(default)"
    except ValueError:
        return "(unknown)"


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with the given fields replaced (None values ignored)."""
    return dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
