"""The commands stage (see docs/architecture.md)."""
