"""Drafting a migration step by step, as the studio's review does: `generate` by hand.

What `generate` would plan now (the replay of the migrations -> the declared
schema, under the renames accepted so far), what the target says of the
relations it locks, and writing the file a person reviewed. The review's
decisions and the rendering of the file are the studio's (`studio.tui.review`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.commands.diff import diff_schemas, migrations_source
from studio.commands.schemas import in_scope, managed_schemas
from studio.config import mask_dsn
from studio.errors import translate
from studio.migrations import files as migrations
from studio.plan.preview import data_findings
from studio.sources.load import load
from studio.sources.spec import declared_source

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from studio.config import Settings
    from studio.diff import Rename, RenameCandidate
    from studio.migrations.files import Migration
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.plan.estimates import RelationSize, Throughput


@dataclass(frozen=True, slots=True)
class PlanInput:
    """What `generate` would write now: the changes from the migrations to the declared schema."""

    old: Schema
    new: Schema
    server_version: int
    hints: tuple[str, ...]
    renames: tuple[Rename, ...]
    changes: tuple[Change, ...]
    candidates: tuple[RenameCandidate, ...]
    existing: tuple[str, ...]


async def plan_input(settings: Settings, hints: Sequence[str], major: int | None) -> PlanInput:
    """Replay the migrations and materialize the declared schema; diff them with `hints`."""
    directory = settings.migrations_dir
    existing = migrations.load_directory(directory) if directory.is_dir() else ()
    if existing:
        migrations.verify_sum(directory)
    replay = await load(migrations_source(settings), settings, major=major)
    declared = await load(declared_source(settings), settings, major=major)
    schemas = managed_schemas(settings, replay, declared)
    a, b = in_scope(settings, schemas, replay.schema, declared.schema).sides
    version = declared.server_version or replay.server_version or (major or 0) * 10000
    return replan(a, b, tuple(hints), version, tuple(m.version for m in existing))


def replan(
    old: Schema, new: Schema, hints: tuple[str, ...], server_version: int, existing: tuple[str, ...]
) -> PlanInput:
    """The plan's changes for a new set of rename hints (pure)."""
    d = diff_schemas(old, new, hints)
    return PlanInput(old, new, server_version, hints, d.renames, d.changes, d.candidates, existing)


async def plan_sizes(
    settings: Settings, relations: Sequence[str], wanted: Sequence[tuple[str, ...]] = ()
) -> tuple[dict[str, RelationSize], Throughput, dict[tuple[str, ...], str]]:
    """Sizes of the relations a plan locks, the target's read throughput, and what its
    rows say of the plan's requirements (`preview.data_findings`); read-only."""
    # deferred: pglast (the probe and the preview parse SQL), loaded when a plan is read
    from studio.plan import probe

    url = settings.database_url()
    assert url is not None
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            sizes = await probe.read_sizes(conn, relations)
            rate = await probe.throughput_for(conn, sizes)
            findings = await data_findings(conn, wanted)
    finally:
        await conn.close()
    return sizes, rate, findings


def next_version(settings: Settings, now: datetime) -> str:
    """The version a migration written now gets."""
    return migrations.next_version(migrations.taken_versions(settings.migrations_dir), now)


def write_migration(
    settings: Settings, version: str, name: str, text: str, down_text: str | None
) -> Migration:
    """Write a reviewed migration (and its down file) and update the sum file."""
    directory = settings.migrations_dir
    path = migrations.write_migration(directory, version, migrations.slugify(name), text, down_text)
    return migrations.parse_file(path)


def write_phases(
    settings: Settings,
    version: str,
    name: str,
    text: str,
    down_text: str | None,
    contract_version: str,
    contract_text: str,
) -> tuple[Migration, Migration]:
    """Write an expand migration (and its down file) and its contract migration; update the sum."""
    slug = migrations.slugify(name)
    directory = settings.migrations_dir
    up = migrations.write_migration(directory, version, f"{slug}_expand", text, down_text)
    contract = migrations.write_migration(
        directory, contract_version, f"{slug}_contract", contract_text
    )
    return migrations.parse_file(up), migrations.parse_file(contract)
