"""Crypto-shredding: the personal fields of events (domain.personal_data) stored sealed
under a key per person, AES-256-GCM, the keys held apart in `person_keys`.

Sealing is deterministic for a given event, field and key (the nonce is derived from them)
so that a retried append produces the very bytes already stored and is recognised as the
same event. The hash of an event and the ledger cover what is stored, the ciphertext:
destroying a key makes the person unreadable and changes no byte the proofs cover.

A sealed value reads `enc:v1:<person id>:<base64 of nonce and ciphertext>`; a value sealed
for a person already erased reads `enc:v1:<person id>:erased`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.personal_data import ERASED, people_in, transform

PREFIX = "enc:v1:"
_NONCE, _TAG = 12, 16  # AES-GCM's nonce and tag, in bytes
_ERASED_TAIL = "erased"

# None: the person's key was destroyed (they were erased)
Keys = Mapping[str, bytes | None]

_ENSURE = """
INSERT INTO person_keys (person_id, data_key)
SELECT p, k FROM unnest($1::text[], $2::bytea[]) AS u(p, k)
ON CONFLICT (person_id) DO NOTHING
"""
_KEYS = "SELECT person_id, data_key FROM person_keys WHERE person_id = ANY($1::text[])"
_DESTROY = """
UPDATE person_keys SET data_key = NULL, destroyed_at = now()
WHERE person_id = $1 AND data_key IS NOT NULL
"""
_ERASED_AT = "SELECT destroyed_at FROM person_keys WHERE person_id = $1"


def new_key() -> bytes:
    return os.urandom(32)


def _nonce(key: bytes, event_id: str, person_id: str, field: str) -> bytes:
    return hmac.new(key, f"{event_id}/{person_id}/{field}".encode(), hashlib.sha256).digest()[:12]


def seal_value(key: bytes | None, event_id: str, person_id: str, field: str, value: Any) -> str:
    # every value is sealed, one that looks sealed too: it is what a person typed
    if key is None:
        return f"{PREFIX}{person_id}:{_ERASED_TAIL}"
    nonce = _nonce(key, event_id, person_id, field)
    sealed = AESGCM(key).encrypt(nonce, str(value).encode(), f"{person_id}/{field}".encode())
    return f"{PREFIX}{person_id}:{base64.b64encode(nonce + sealed).decode()}"


def open_value(keys: Keys, field: str, value: Any) -> Any:
    """The value as it reads: in clear with the person's key, erased without it."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return value  # recorded before sealing began
    person_id, _, tail = value[len(PREFIX) :].rpartition(":")
    key = keys.get(person_id)
    if key is None or tail == _ERASED_TAIL:
        return ERASED[field]
    try:
        raw = base64.b64decode(tail, validate=True)
        if len(raw) < _NONCE + _TAG:
            raise ValueError("too short to be sealed")
        clear = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], f"{person_id}/{field}".encode())
        return clear.decode()
    except (InvalidTag, ValueError):
        # not this person's sealing (or not a sealing at all): read as nobody, never as
        # someone else, and never an error that would stop a reader
        return ERASED[field]


def seal(event_type: str, event_id: str, data: Mapping[str, Any], keys: Keys) -> dict[str, Any]:
    return transform(
        event_type,
        data,
        lambda person_id, field, value: seal_value(
            keys.get(person_id), event_id, person_id, field, value
        ),
    )


def open_any(value: Any, keys: Keys) -> Any:
    """`value` (an event's data, or a whole document of it) with every sealed field opened:
    wherever a `name` or an `email` holds a sealed value."""
    if isinstance(value, dict):
        return {
            k: open_value(keys, k, v) if k in ERASED and isinstance(v, str) else open_any(v, keys)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [open_any(v, keys) for v in value]
    return value


def sealed_people(values: Iterable[Any]) -> set[str]:
    """The people whose sealed values appear among `values` (strings of a document too)."""
    found = set()
    for value in values:
        if isinstance(value, str):
            start = 0
            while (at := value.find(PREFIX, start)) >= 0:
                rest = value[at + len(PREFIX) :]
                person_id = rest.split(":", 1)[0]
                found.add(person_id)
                start = at + len(PREFIX)
    return found


async def keys_for(conn: Any, people: Iterable[str], *, create: bool) -> dict[str, bytes | None]:
    """Each person's key (None: destroyed); with `create`, a key made for whoever has none
    (in its own statement: a key without events is harmless, an event without a key is
    not)."""
    wanted = sorted(set(people))
    if not wanted:
        return {}
    if create:
        await conn.execute(_ENSURE, wanted, [new_key() for _ in wanted])
    rows = await conn.fetch(_KEYS, wanted)
    return {r["person_id"]: r["data_key"] for r in rows}


async def destroy_key(conn: Any, person_id: str) -> bool:
    """Destroy the person's key; False if it was destroyed already. A person never named
    in an event gets a destroyed key too, so that nothing is ever sealed readably for
    them."""
    made = await conn.fetchval(
        "INSERT INTO person_keys (person_id, data_key, destroyed_at) VALUES ($1, NULL, now()) "
        "ON CONFLICT (person_id) DO NOTHING RETURNING true",
        person_id,
    )
    done = await conn.execute(_DESTROY, person_id)
    return bool(made) or str(done).endswith(" 1")


def in_clear(event_type: str, data: Mapping[str, Any], person_id: str) -> bool:
    """Whether the event, as stored, holds the person's name or e-mail unsealed (recorded
    before sealing began)."""
    seen: list[Any] = []

    def look(pid: str, _field: str, value: Any) -> Any:
        if pid == person_id:
            seen.append(value)
        return value

    transform(event_type, data, look)
    return any(not (isinstance(v, str) and v.startswith(PREFIX)) for v in seen)


def same_but_erased(retried: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """Whether a retried append's data is the stored one but for a person erased in
    between: sealed for them as erased now, under their destroyed key then."""
    if not sealed_people([str(retried)]) or "erased" not in str(retried):
        return False
    return bool(_masked(retried) == _masked(stored))


def _masked(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, str) and value.startswith(PREFIX):
        return value.rpartition(":")[0]  # the person, without the sealing
    return value


def person_shape(path: tuple[str, ...], person_id: str) -> dict[str, Any]:
    """The JSON shape that data naming the person at `path` contains (`@>`)."""
    shape: dict[str, Any] = {"id": person_id}
    for key in reversed(path):
        shape = {key: shape}
    return shape


def people_named(event_type: str, data: Mapping[str, Any]) -> set[str]:
    return people_in(event_type, data)


# --- documents other than events (Temporal's payloads: collab.payload_sealing) ---------------
# There a person is any object with an `id` and a `name` or an `email` (domain.application's
# Person and Reviewer), or the `<who>_name` / `<who>_email` beside a `<who>_id` of a
# command's flat fields; each sealed under that id's key, with a nonce of its own (a payload
# is never compared with a retried one, unlike an event).


def _people_fields(obj: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(key in obj, person id, sealed field) of each personal value `obj` holds itself."""
    person = obj.get("id")
    if isinstance(person, str):
        for field in ERASED:
            if isinstance(obj.get(field), str):
                yield field, person, field
    for key, value in obj.items():
        if key.endswith("_id") and isinstance(value, str):
            for field in ERASED:
                beside = f"{key[:-3]}_{field}"
                if isinstance(obj.get(beside), str):
                    yield beside, value, field


def people_in_document(value: Any) -> set[str]:
    """Whose names or e-mails `value` holds, sealed or not."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        found |= {person for _, person, _ in _people_fields(value)}
        for v in value.values():
            found |= people_in_document(v)
    elif isinstance(value, list):
        for v in value:
            found |= people_in_document(v)
    return found


def seal_document(value: Any, keys: Keys) -> Any:
    """`value` with every person's name and e-mail sealed under their key (erased for
    whoever's key is destroyed)."""
    if isinstance(value, Mapping):
        out = {k: seal_document(v, keys) for k, v in value.items()}
        for key, person, field in _people_fields(value):
            # a value that looks sealed too, as in an event: it is what a person typed
            nonce_context = os.urandom(16).hex()
            out[key] = seal_value(keys.get(person), nonce_context, person, field, value[key])
        return out
    if isinstance(value, list):
        return [seal_document(v, keys) for v in value]
    return value


def open_document(value: Any, keys: Keys) -> Any:
    """`value` with every sealed name and e-mail opened: erased without the person's key."""
    if isinstance(value, Mapping):
        return {
            k: open_value(keys, _field_of(k), v)
            if isinstance(v, str) and v.startswith(PREFIX) and _field_of(k)
            else open_document(v, keys)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [open_document(v, keys) for v in value]
    return value


def _field_of(key: str) -> str:
    """The sealed field a document's key holds ("" for none): `name`, `coordinator_email`..."""
    for field in ERASED:
        if key == field or key.endswith(f"_{field}"):
            return field
    return ""
