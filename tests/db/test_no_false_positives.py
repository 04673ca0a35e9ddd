"""Declared SQLAlchemy models, created in a database, diff empty against themselves.

The classic autogenerate false positives (server defaults, enums, identity,
computed columns, partial and expression indexes, FK actions, checks, other
schemas, comments) must not appear: both sides are read from PostgreSQL.
Also: the repository's own declared demo schema is in sync with its
migrations (`check` passes), and a privileges diff of a database against
itself is empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from studio.commands.diff import diff_sources
from studio.config import load

REPO = Path(__file__).resolve().parents[2]

MODELS = """
import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint, Computed, Enum, ForeignKey, Identity, Index, MetaData, Numeric, String,
    Text, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(schema="shop")


class Kind(enum.Enum):
    book = "book"
    game = "game"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("email", name="customers_email_key"),
        {"comment": "who buys"},
    )
    id: Mapped[int] = mapped_column(Identity(always=True, start=100), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), comment="login")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    tags: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="products_price_check"),
        Index("products_title_lower_idx", func.lower(text("title"))),
        Index("products_active_idx", "kind", postgresql_where=text("active")),
        Index("products_title_trgm_idx", "title", postgresql_using="hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[Kind] = mapped_column(
        Enum(Kind, name="kind", schema="shop"), server_default="book"
    )
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), server_default="0")
    tax: Mapped[Decimal] = mapped_column(Numeric(12, 2), Computed("price * 0.2", persisted=True))
    active: Mapped[bool] = mapped_column(server_default=text("true"))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("shop.customers.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop.products.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), server_default="new")
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nschema = "fpapp.models:Base"\n')
    (tmp_path / "fpapp").mkdir()
    (tmp_path / "fpapp" / "__init__.py").write_text("")
    (tmp_path / "fpapp" / "models.py").write_text(MODELS)
    return tmp_path


async def test_models_created_in_a_database_have_no_diff(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = load(project, db_override=db_url)
    # create the models in the live database the way an application would
    first = await diff_sources(settings)
    assert first.changes, "an empty database must differ from the models"
    conn = await asyncpg.connect(db_url)
    try:
        for change in first.changes:
            for statement in change.sql():
                await conn.execute(statement)
    finally:
        await conn.close()
    again = await diff_sources(settings)
    assert [c.describe() for c in again.changes] == []
    assert again.candidates == ()


async def test_database_against_itself_with_privileges_is_empty(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "CREATE TABLE t (id int PRIMARY KEY); GRANT SELECT ON t TO pg_monitor;"
            " CREATE VIEW v AS SELECT id FROM t"
        )
    finally:
        await conn.close()
    settings = load(Path("/"), db_override=db_url)
    result = await diff_sources(settings, db_url, db_url, with_privileges=True)
    assert result.changes == ()


def test_repository_declared_schema_matches_its_migrations(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    r = subprocess.run(
        [sys.executable, "-m", "studio", "check", "--no-live"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "in sync" in r.stdout
