"""Upcasting: reading old event schemas as the current one.

Stored events are facts and are never rewritten (the table refuses UPDATE, and the hash
chain covers the stored bytes). When an event's payload shape changes, its type gets a
new ``schema_version`` and an upcaster that turns version N data into version N+1 data.
Readers then only ever see the latest shape; ``verify`` still hashes what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Registry of upcasters keyed by (event type, schema version they upgrade from).

    Each upcaster lifts exactly one version (N to N+1); ``upcast`` chains them until none
    applies, so adding version 3 never requires touching the 1 to 2 upcaster.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], Upcaster] = {}

    def register(
        self, event_type: str, from_version: int, upcaster: Upcaster | None = None
    ) -> Callable[[Upcaster], Upcaster]:
        """Register ``upcaster`` for ``event_type`` at ``from_version``; usable as a decorator
        (``@upcasters.register("Renamed", 1)``) or called with the function."""

        def add(fn: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._by_key:
                raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
            self._by_key[key] = fn
            return fn

        if upcaster is not None:
            add(upcaster)
        return add

    def applies(self, event_type: str, schema_version: int) -> bool:
        """Whether an event of this type and schema version is read in another shape."""
        return (event_type, schema_version) in self._by_key

    def upcast(
        self, event_type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Return (latest schema version, data in that version's shape)."""
        while (fn := self._by_key.get((event_type, schema_version))) is not None:
            data = fn(data)
            schema_version += 1
        return schema_version, data

    def __len__(self) -> int:
        return len(self._by_key)
