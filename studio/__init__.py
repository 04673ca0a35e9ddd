"""schema-studio: version control for PostgreSQL schemas."""

from __future__ import annotations

__version__ = "0.1.0"
