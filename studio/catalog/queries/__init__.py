"""Catalog queries as .sql files, loaded by name with a variant per server version.

`get("columns", 180000)` returns `columns_18.sql` when it exists (the highest
`name_<major>.sql` whose major is at most the server's), else `columns.sql`.
A line `--@include NAME` is replaced by the text of `NAME.sql` (in its variant
for the same server version), so the scope filter shared by every query is
written once.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_INCLUDE = re.compile(r"^--@include (\w+)$", re.MULTILINE)


@cache
def _files() -> frozenset[str]:
    return frozenset(p.name for p in resources.files(__name__).iterdir() if p.name.endswith(".sql"))


@cache
def _read(filename: str, major: int) -> str:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: _read(_variant(m.group(1), major), major).strip(), text)


def _variant(name: str, major: int) -> str:
    """The file of query `name` for server major version `major`."""
    variants = [
        int(m.group(1))
        for f in _files()
        if (m := re.fullmatch(re.escape(name) + r"_(\d+)\.sql", f)) and int(m.group(1)) <= major
    ]
    filename = f"{name}_{max(variants)}.sql" if variants else f"{name}.sql"
    if filename not in _files():
        raise KeyError(f"no query named {name!r}")
    return filename


@cache
def get(name: str, server_version: int = 0) -> str:
    """The text of query `name`, in its variant for `server_version` (server_version_num)."""
    major = server_version // 10000
    return _read(_variant(name, major), major)
