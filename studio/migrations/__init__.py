"""The migrations stage (see docs/architecture.md)."""
