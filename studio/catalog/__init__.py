"""The catalog stage (see docs/architecture.md)."""
