"""Append-only PostgreSQL event store: the only package that knows SQL."""
