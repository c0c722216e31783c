"""Temporal workflows: orchestration only; rules live in `domain`."""
