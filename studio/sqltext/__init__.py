"""The sqltext stage (see docs/architecture.md)."""
