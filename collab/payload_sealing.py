"""People's names and e-mails sealed in Temporal's payloads, as in the events: under each
person's own key (eventstore.shredding), so that Temporal's histories (a run's input, the
commands it took, its activities' inputs, its answers) hold no readable name, and an
erasure, which destroys the key, reaches them too: read again, a history says "(erased)".

A payload codec (Temporal's way to encrypt payloads): the client and the worker seal what
they send and open what they receive; the server stores and shows the sealed text. Only
JSON payloads naming someone are sealed (`people_in_document`); their encoding becomes
`binary/collab-sealed` (the JSON's own kept beside it), so that a reader without this codec
(an older worker, a replayer, the `temporal` CLI) fails on them instead of taking sealed
text for a name, and the others are opened at the cost of a look at their metadata.

Keys are read from `person_keys` and kept for a short while (`KEY_TTL_S`), so that a step
does not read them again and again: a key destroyed is no longer used, nor held in memory,
once twice that while has passed. A person with no key at all (a database restored to
before their key was made) is an error, never "erased": the workflow task fails and is
tried again, and nothing is written in their place."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from domain.personal_data import ERASED
from eventstore import shredding
from eventstore.postgres import PostgresEventStore

SEALED_MARK = "collab-sealed"  # metadata of a sealed payload: its version
_VERSION = b"v1"
_JSON = b"json/plain"
SEALED_ENCODING = b"binary/collab-sealed"
KEY_TTL_S = 30.0
MOST_KEYS_HELD = 10_000
# A document naming someone has a key ending in one of these ("name", "coordinator_email"):
# a payload with none (most: an append's events and answer, a timer's step) is passed on
# without being parsed and walked, a good part of what a step cost the worker.
_PERSON_KEY_ENDS = tuple(f'{field}"'.encode() for field in ERASED)


class KeyMissing(LookupError):
    """A payload sealed for someone who has no key: the database lost it (restored from a
    backup older than the key). Reading them as erased would write that in their place."""


class PersonSealingCodec(PayloadCodec):
    def __init__(self, store: PostgresEventStore, key_ttl_s: float = KEY_TTL_S) -> None:
        self._store = store
        self._ttl = key_ttl_s
        self._keys: dict[str, tuple[float, bytes | None]] = {}
        self._swept_at = float("-inf")

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            document = _json_of(payload)
            people = shredding.people_in_document(document) if document is not None else set()
            if not people:
                out.append(payload)
                continue
            keys = await self._keys_of(people, create=True)
            sealed = shredding.seal_document(document, keys)
            marked = Payload()
            marked.CopyFrom(payload)
            marked.metadata[SEALED_MARK] = _VERSION
            marked.metadata["encoding"] = SEALED_ENCODING
            marked.data = json.dumps(sealed, separators=(",", ":"), ensure_ascii=False).encode()
            out.append(marked)
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get(SEALED_MARK) != _VERSION:
                out.append(payload)
                continue
            document = json.loads(payload.data)
            people = shredding.sealed_people([payload.data.decode()])
            opened = shredding.open_document(document, await self._keys_of(people, create=False))
            clear = Payload()
            clear.CopyFrom(payload)
            del clear.metadata[SEALED_MARK]
            clear.metadata["encoding"] = _JSON
            clear.data = json.dumps(opened, separators=(",", ":"), ensure_ascii=False).encode()
            out.append(clear)
        return out

    async def _keys_of(self, people: Iterable[str], *, create: bool) -> dict[str, bytes | None]:
        """Each person's key, None for one destroyed (they were erased)."""
        now = time.monotonic()
        self._forget_expired(now)
        wanted = set(people)
        held = {p: self._keys[p][1] for p in wanted if p in self._keys}
        missing = sorted(wanted - held.keys())
        if missing:
            async with self._store.connection() as conn:
                found = await shredding.keys_for(conn, missing, create=create)
            lost = [p for p in missing if p not in found]
            if lost:
                raise KeyMissing(f"no key for {', '.join(lost)}: restored from an older backup?")
            held |= found
            if len(self._keys) + len(found) <= MOST_KEYS_HELD:
                self._keys |= {p: (now + self._ttl, key) for p, key in found.items()}
        return held

    def _forget_expired(self, now: float) -> None:
        # at most once a while: a key destroyed leaves memory within two whiles
        if now < self._swept_at + self._ttl:
            return
        self._swept_at = now
        for person in [p for p, (until, _) in self._keys.items() if until < now]:
            del self._keys[person]


def _json_of(payload: Payload) -> object | None:
    if payload.metadata.get("encoding") != _JSON:
        return None
    if not any(end in payload.data for end in _PERSON_KEY_ENDS):
        return None  # no one named
    try:
        document: object = json.loads(payload.data)
    except ValueError:
        return None
    return document


def sealing(converter: DataConverter, store: PostgresEventStore) -> DataConverter:
    """`converter` sealing people's names and e-mails in every payload (see the module)."""
    return dataclasses.replace(converter, payload_codec=PersonSealingCodec(store))
