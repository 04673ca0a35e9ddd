"""The demo's declared schema: the quick-start users/orders tables.

The repository's `[tool.schema-studio]` declares this module, and its
`migrations/` folder holds the history that the tool generated for it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class OrderStatus(enum.Enum):
    """Where an order stands (was a free-text varchar before the demo's expand/contract)."""

    pending = "pending"
    paid = "paid"
    shipped = "shipped"
    cancelled = "cancelled"


class Base(DeclarativeBase):
    """Declarative base of the demo models."""


class User(Base):
    """A customer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    # was `name`: renamed through a second expand/contract, applied while the first one's
    # contract waits
    full_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Order(Base):
    """An order placed by a user."""

    __tablename__ = "orders"
    # a user's orders, newest first: the demo's "my orders" page
    __table_args__ = (Index("orders_user_id_created_at_idx", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    total: Mapped[int]
    order_status: Mapped[OrderStatus | None] = mapped_column(
        Enum(OrderStatus, name="order_status"), server_default="pending"
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


metadata = Base.metadata
