"""Keyset pages of a read-model list: a page is the rows after the last row of the page
before, in the list's order, so reading page 100 costs what reading page 1 does and a row
added meanwhile neither repeats nor hides another.

A cursor is the sort key of the last row shown, opaque to the reader (base64 of JSON).
Nothing in it is trusted: it is decoded into typed values and bound as parameters."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 100  # what a list answers unless asked for fewer or more
MAX_PAGE_SIZE = 500  # the most one page answers
_MAX_CURSOR = 600  # characters: a cursor holds a few short keys


class BadCursor(ValueError):
    """The cursor was not given by this list (edited, truncated, or of another list)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    next: str | None  # the cursor of the following page; None on the last
    total: int  # rows of the whole list, every page together


def encode(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The key in `cursor`, each part checked against `kinds` (None allowed for a part that
    sorts NULLs last)."""
    if len(cursor) > _MAX_CURSOR:
        raise BadCursor("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as err:
        raise BadCursor("not readable") from err
    if not isinstance(key, list) or len(key) != len(kinds):
        raise BadCursor("not a key of this list")
    for part, kind in zip(key, kinds, strict=True):
        if part is not None and (not isinstance(part, kind) or isinstance(part, bool)):
            raise BadCursor("not a key of this list")
    return key


def clamp(limit: int | None) -> int:
    if limit is None:
        return PAGE_SIZE
    return max(1, min(limit, MAX_PAGE_SIZE))
