"""The demo project: the quick-start users/orders schema and its seed data."""
