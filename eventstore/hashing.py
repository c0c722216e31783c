"""Canonical bytes of an event and the per-stream hash chain (tamper evidence).

Each event's ``hash`` is ``sha256(prev_hash + canonical_bytes(event) + "\n" + recorded_at)``
(hash scheme 2, from migration 0007; events recorded before it, scheme 1, leave out the
recorded time), with ``prev_hash`` the hash of the previous event of the same stream (empty
for version 1). Editing, removing or reordering a stored event therefore breaks the chain
from that event on.

The canonical bytes must be the same whether computed from what a writer sends or from
what PostgreSQL gives back, because the store hashes on the way in and ``verify`` hashes
on the way out. ``jsonb`` does not keep the text it was given: it reorders keys, drops
the sign of zero and prints large floats without an exponent (``1e16`` comes back as the
integer ``10000000000000000``). ``normalize_data`` maps a value to the value ``jsonb``
will give back, and ``encode_data`` serialises that with sorted keys and compact
separators, so both directions agree (a property test checks it against PostgreSQL).

This is a chain per stream, not a signature: whoever can rewrite the whole table can also
recompute the hashes. It catches edits made behind the store's back (a hand-written
UPDATE with the triggers disabled, a restored partial backup); the ledger and its signed
digests (eventstore.ledger, eventstore.tree_head) catch the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eventstore.records import ChainBreak, NewEvent, StoredEvent

# Python prints floats of this magnitude and above with an exponent; jsonb prints them as
# plain integers, which json.loads then reads back as int.
_FLOAT_EXPONENT_THRESHOLD = 1e16
# What compact JSON text shows when normalize_data has work to do (see encode_data).
_NEEDS_NORMALIZING = re.compile(r"e\+|-0\.0(?![0-9])|\\u0000")


def normalize_data(value: Any) -> Any:
    """Return ``value`` as it will read back from a ``jsonb`` column.

    Applies JSON's own conversions first (tuples become lists, int keys become strings),
    then jsonb's: no negative zero, no exponent for large floats. Raises ``ValueError``
    for what jsonb refuses (NaN, infinities, NUL characters) and ``TypeError`` for what
    JSON cannot express, so a bad payload fails before it reaches the database.
    """
    return _jsonb_numbers(json.loads(json.dumps(value, allow_nan=False)))


def _jsonb_numbers(value: Any) -> Any:
    if isinstance(value, float):
        if value == 0:
            return 0.0  # numeric has no negative zero
        if abs(value) >= _FLOAT_EXPONENT_THRESHOLD:
            # jsonb keeps the decimal Python printed (1e+100 is 10**100), not the binary
            # value int(1e100) would give.
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("jsonb cannot store the NUL character")
        return value
    if isinstance(value, dict):
        return {_jsonb_numbers(k): _jsonb_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonb_numbers(item) for item in value]
    return value


# One encoder instead of json.dumps(...): building an encoder per call is a third of the
# cost of serialising a small event.
_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def encode_data(data: Mapping[str, Any]) -> str:
    """``data`` as canonical JSON text: sorted keys, compact, normalised as jsonb would.

    ``normalize_data`` (a JSON round trip plus a Python walk) costs several times the C
    serialisation, so it only runs when the serialised text shows something to normalise:
    an exponent (``e+``), a negative zero, or an escaped NUL. A string that merely
    contains such text takes the slow path too, with the same result.
    """
    text = _dumps(data)
    # each of the pattern's matches holds one of these; looking for them is about twice as
    # fast as the pattern's search, which runs only when one is there
    if ("e+" in text or "-0.0" in text or "\\u0000" in text) and _NEEDS_NORMALIZING.search(text):
        text = _dumps(normalize_data(data))
    return text


def utc_iso(moment: datetime) -> str:
    """The instant in UTC with fixed microsecond precision (timestamptz keeps microseconds)."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_parts(event: NewEvent | StoredEvent) -> tuple[str, bytes]:
    """(canonical JSON text of the data, canonical bytes of the whole event).

    The bytes are the JSON array ``[event_id, stream_id, version, type, schema_version,
    occurred_at (UTC ISO), actor_id, actor_role, reason, data]``: every field the writer
    supplies, none the database assigns (position, tx_id, recorded_at), so a stored row
    can be re-hashed from itself. An array keeps the field order fixed without sorting
    and lets the data text be spliced in as is.
    """
    header = [
        str(event.event_id),
        event.stream_id,
        event.version,
        event.type,
        event.schema_version,
        utc_iso(event.occurred_at),
        event.actor_id,
        event.actor_role,
        event.reason,
    ]
    data = encode_data(event.data)
    return data, f"[{_dumps(header)[1:-1]},{data}]".encode()


def canonical_bytes(event: NewEvent | StoredEvent) -> bytes:
    """The bytes an event's hash covers (see ``canonical_parts``)."""
    return canonical_parts(event)[1]


def event_hash(event: StoredEvent, canonical: bytes | None = None) -> bytes:
    """The hash a stored event must carry, by its scheme: its chain link over what the
    writer supplied and, from scheme 2 on, the time the store recorded it (the append
    function in migration 0007 computes the same)."""
    covered = canonical if canonical is not None else canonical_bytes(event)
    if event.hash_scheme >= 2:
        covered += b"\n" + utc_iso(event.recorded_at).encode()
    return chain_hash(event.prev_hash, covered)


def chain_hash(prev_hash: bytes | None, canonical: bytes) -> bytes:
    """One link of the chain. The append function in SQL computes the same thing
    (``sha256(coalesce(prev, '') || canonical)``); ``verify`` relies on it here."""
    return hashlib.sha256((prev_hash or b"") + canonical).digest()


class ChainVerifier:
    """Checks events fed in (stream_id, version) order and reports the first break.

    Kept free of I/O so the store can stream the table through it batch by batch.
    ``head_version``/``head_hash`` are the stream's row in ``streams``: the next append
    chains on them, so they must agree with the stream's last event.
    """

    def __init__(self) -> None:
        self._stream: str | None = None
        self._last: StoredEvent | None = None
        self._head: tuple[int, bytes | None] = (0, None)

    def feed(
        self, event: StoredEvent, head_version: int | None, head_hash: bytes | None
    ) -> ChainBreak | None:
        if event.stream_id != self._stream:
            broken = self.finish()
            if broken is not None:
                return broken
            self._stream, self._last = event.stream_id, None
        self._head = (head_version if head_version is not None else 0, head_hash)

        expected_version = 1 if self._last is None else self._last.version + 1
        prev_hash = None if self._last is None else self._last.hash
        if event.version != expected_version:
            return _break(event, f"version {expected_version} is missing (found {event.version})")
        if event.prev_hash != prev_hash:
            return _break(
                event, f"prev_hash {_hex(event.prev_hash)} does not link to {_hex(prev_hash)}"
            )
        recomputed = event_hash(event)  # event.prev_hash is prev_hash: checked above
        if recomputed != event.hash:
            return _break(
                event,
                f"content does not match its hash (stored {_hex(event.hash)}, "
                f"recomputed {_hex(recomputed)}): the event was altered",
            )
        self._last = event
        return None

    def finish(self) -> ChainBreak | None:
        """Check the head of the stream fed last; call once after the last event."""
        last, (head_version, head_hash) = self._last, self._head
        if last is None:
            return None
        if (head_version, head_hash) != (last.version, last.hash):
            return _break(
                last,
                f"stream head says version {head_version} hash {_hex(head_hash)}, "
                f"but the last stored event is version {last.version} hash {_hex(last.hash)}",
            )
        return None


def _break(event: StoredEvent, detail: str) -> ChainBreak:
    return ChainBreak(event.stream_id, event.version, event.event_id, detail)


def _hex(value: bytes | None) -> str:
    return "none" if value is None else value.hex()[:16] + "…"
