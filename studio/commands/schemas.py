"""The managed schemas: the one rule every comparing command applies to both sides.

--schema (or `schemas` in config), else the schemas a declared SQLAlchemy
source uses, else every user schema; minus --exclude-schema. A name given
that the sides do not hold is refused, as `diff` refuses it. Then the
`exclude` patterns (and --exclude) leave objects out of every side
(`in_scope`), and say how many they matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.errors import UsageError
from studio.model.exclude import ExcludePattern, exclude, parse_patterns

if TYPE_CHECKING:
    from collections.abc import Collection

    from studio.config import Settings
    from studio.model import Schema
    from studio.sources.spec import Loaded


def managed_schemas(settings: Settings, *sides: Loaded) -> tuple[str, ...] | None:
    """The one set of managed schemas applied to both sides (None: every user schema).

    --schema (or `schemas` in config), else the schemas a declared SQLAlchemy
    source uses, else every user schema; minus --exclude-schema.
    """
    present = schemas_in(*sides)
    refuse_unknown_schemas(settings, present)
    chosen: tuple[str, ...] = settings.schemas or tuple(
        sorted({s for side in sides for s in side.declared_schemas})
    )
    if not chosen:
        if not settings.exclude_schemas:
            return None
        chosen = tuple(sorted(present))
    return tuple(s for s in chosen if s not in settings.exclude_schemas)


def restrict(schema: Schema, names: tuple[str, ...] | None) -> Schema:
    """`schema` cut to the managed schemas `names` (None: every user schema, the whole of it)."""
    return schema if names is None else schema.restrict(names)


def schemas_in(*sides: Loaded) -> set[str]:
    """The schemas the loaded sides hold (a table's too, should its schema be left out)."""
    present = {ns.name for side in sides for ns in side.schema.namespaces.values()}
    return present | {t.schema for side in sides for t in side.schema.tables.values()}


def refuse_unknown_schemas(settings: Settings, present: Collection[str]) -> None:
    """UsageError naming a --schema or --exclude-schema (or `schemas`) that is not in `present`."""
    found = f"schemas found: {', '.join(sorted(present)) or '(none)'}"
    for name in settings.schemas:
        if name not in present:
            raise UsageError(f"unknown schema {name!r}", found)
    for name in settings.exclude_schemas:
        if name not in present:
            raise UsageError(f"unknown schema {name!r} in --exclude-schema", found)


def exclusions(settings: Settings) -> tuple[ExcludePattern, ...]:
    """The `exclude` patterns (the config's, then --exclude's); a malformed one is a UsageError.

    Commands read them before loading anything, so a typo costs no dev database.
    """
    return parse_patterns(settings.exclude)


@dataclass(frozen=True, slots=True)
class Scoped:
    """Sides cut to the managed schemas, the excluded objects left out."""

    sides: tuple[Schema, ...]
    # objects the `exclude` patterns matched, on any side, each counted once
    excluded: int = 0


def in_scope(settings: Settings, names: tuple[str, ...] | None, *sides: Schema) -> Scoped:
    """`sides` restricted to the managed schemas `names`, without what `exclude` matches."""
    patterns = exclusions(settings)
    restricted = [restrict(side, names) for side in sides]
    if not patterns:
        return Scoped(tuple(restricted))
    cut = [exclude(side, patterns) for side in restricted]
    matched = frozenset[str]().union(*(c.matched for c in cut))
    return Scoped(tuple(c.schema for c in cut), len(matched))


def excluded_note(count: int) -> str:
    """What the commands say of `exclude`: `3 objects excluded by `exclude``."""
    return f"{count} object{'' if count == 1 else 's'} excluded by `exclude`"
