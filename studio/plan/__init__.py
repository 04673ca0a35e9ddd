"""The plan stage (see docs/architecture.md)."""
