"""Temporal activities: the only place workflows reach the outside world."""
