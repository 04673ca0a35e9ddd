"""The codegen stage (see docs/architecture.md)."""
