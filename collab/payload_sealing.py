"""People's names and e-mails sealed in Temporal's payloads, as in the events: under each
person's own key (eventstore.shredding), so that Temporal's histories (a run's input, the
commands it took, its activities' inputs, its answers) hold no readable name, and an
erasure, which destroys the key, reaches them too: read again, a history says "(erased)".

A payload codec (Temporal's way to encrypt payloads): the client and the worker seal what
they send and open what they receive; the server stores and shows the sealed text. Only
JSON payloads naming someone are sealed (`people_in_document`), and they are marked so
that the others are opened at the cost of a look at their metadata. Keys are read from
`person_keys` and kept for a short while (`KEY_TTL_S`), so that a step does not read them
again and again; a key destroyed is no longer used once that while has passed."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from eventstore import shredding
from eventstore.postgres import PostgresEventStore

SEALED_MARK = "collab-sealed"  # metadata of a sealed payload
_VERSION = b"v1"
_JSON = b"json/plain"
KEY_TTL_S = 30.0


class PersonSealingCodec(PayloadCodec):
    def __init__(self, store: PostgresEventStore, key_ttl_s: float = KEY_TTL_S) -> None:
        self._store = store
        self._ttl = key_ttl_s
        self._keys: dict[str, tuple[float, bytes | None]] = {}

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
            clear.data = json.dumps(opened, separators=(",", ":"), ensure_ascii=False).encode()
            out.append(clear)
        return out

    async def _keys_of(self, people: Iterable[str], *, create: bool) -> dict[str, bytes | None]:
        now = time.monotonic()
        wanted = set(people)
        missing = [p for p in wanted if p not in self._keys or self._keys[p][0] < now]
        if missing:
            async with self._store.connection() as conn:
                found = await shredding.keys_for(conn, missing, create=create)
            for person in missing:
                self._keys[person] = (now + self._ttl, found.get(person))
            if len(self._keys) > 10_000:  # bounded: the oldest looks are dropped
                for person in sorted(self._keys, key=lambda p: self._keys[p][0])[:5_000]:
                    del self._keys[person]
        return {p: self._keys[p][1] if p in self._keys else None for p in wanted}


def _json_of(payload: Payload) -> object | None:
    if payload.metadata.get("encoding") != _JSON:
        return None
    try:
        document: object = json.loads(payload.data)
    except ValueError:
        return None
    return document


def sealing(converter: DataConverter, store: PostgresEventStore) -> DataConverter:
    """`converter` sealing people's names and e-mails in every payload (see the module)."""
    return dataclasses.replace(converter, payload_codec=PersonSealingCodec(store))
