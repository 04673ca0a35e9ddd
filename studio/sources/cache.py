"""The cache of materialized schemas: one file per key, written whole or not at all.

The key hashes the files a declared schema is loaded from (every part's, in
order, for a composite one), the tool's version, the dev server's major
version and SQLAlchemy's: an unchanged schema costs neither an import of the
user's models nor a dev database.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

from studio import __version__
from studio.errors import SourceError
from studio.model import Schema
from studio.sources.spec import Loaded, Source


def cache_dir() -> Path:
    """Where materialized schemas are cached: $XDG_CACHE_HOME/schema-studio (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schema-studio" / "schemas"


def cache_key(source: Source, paths: list[Path], major: int, with_privileges: bool = False) -> str:
    """The key of `source` read from `paths` on a dev server of `major`."""
    h = hashlib.sha256()
    versions = ",".join(source.versions) if source.versions is not None else "*"
    # v4: the cached Schema carries the catalog's dependency edges; v5: keys of names with '$'
    # are quoted, as the server's quote_ident() writes them
    for part in (
        "v5",
        "privileges" if with_privileges else "",
        __version__,
        source.kind.value,
        source.spec,
        versions,
        str(major),
        _sqlalchemy_version(),
        # a composite schema: each part, in order (the files below follow that order)
        *(f"{p.kind.value}:{p.spec}" for p in source.parts),
    ):
        h.update(part.encode() + b"\0")
    for path in paths:
        h.update(str(path).encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError as e:
            raise SourceError(f"cannot read {path}: {e}") from None
        h.update(b"\0")
    return h.hexdigest()[:32]


def read_cached(source: Source, key: str) -> Loaded | None:
    """The schema cached under `key` for `source`, if there is one."""
    path = cache_dir() / f"{key}.json"
    if not path.is_file():
        return None
    # the first line holds what a Loaded carries besides the Schema, the rest the Schema
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    meta = json.loads(head)
    return Loaded(
        source,
        Schema.from_json(body),
        tuple(meta["declared"]),
        True,
        meta["server_version"],
        meta.get("origins", {}),
    )


def write_cached(key: str, loaded: Loaded) -> None:
    """Cache `loaded` under `key` (a failure to write is ignored)."""
    meta: dict[str, object] = {
        "declared": list(loaded.declared_schemas),
        "server_version": loaded.server_version,
    }
    if loaded.origins:
        meta["origins"] = dict(loaded.origins)
    _write_atomic(cache_dir() / f"{key}.json", json.dumps(meta) + "\n" + loaded.schema.to_json())


def _sqlalchemy_version() -> str:
    try:
        return metadata.version("sqlalchemy")
    except Exception:
        return "?"


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass  # the cache is an optimization; a read-only home must not fail the command
