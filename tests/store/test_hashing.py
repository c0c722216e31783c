"""Canonical bytes survive a round trip through jsonb, so hashes made on the way in
verify on the way out."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstore.hashing import (
    canonical_bytes,
    canonical_parts,
    encode_data,
    event_hash,
    normalize_data,
)
from eventstore.records import NewEvent, StoredEvent

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8).filter(lambda k: "\x00" not in k), children, max_size=4
        )
    ),
    max_leaves=12,
)


@pytest.fixture
async def pg(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.dictionaries(st.text(max_size=8).filter(lambda k: "\x00" not in k), json_values))
async def test_canonical_text_is_stable_through_jsonb(
    pg: asyncpg.Connection, data: dict[str, Any]
) -> None:
    sent = encode_data(data)

    returned = await pg.fetchval("SELECT $1::jsonb::text", sent)

    assert encode_data(json.loads(returned)) == sent


@pytest.mark.parametrize(
    ("value", "as_jsonb_returns_it"),
    [
        (-0.0, 0.0),
        (1e16, 10**16),
        (-1.5e20, -150000000000000000000),
        (1e100, 10**100),
        (1.5e-7, 1.5e-7),
        (0.30000000000000004, 0.30000000000000004),
        ((1, "a"), [1, "a"]),
        ({1: "int key"}, {"1": "int key"}),
    ],
)
def test_normalize_data_predicts_jsonb(value: Any, as_jsonb_returns_it: Any) -> None:
    normalized = normalize_data(value)

    assert normalized == as_jsonb_returns_it
    assert type(normalized) is type(as_jsonb_returns_it)


async def test_the_predicted_values_are_what_postgres_returns(pg: asyncpg.Connection) -> None:
    for value in (-0.0, 1e16, 1e100, 1.5e-7, [1e17, {"k": -0.0}]):
        returned = json.loads(await pg.fetchval("SELECT $1::jsonb::text", json.dumps(value)))
        assert returned == normalize_data(value)
        assert encode_data({"v": returned}) == encode_data({"v": value})


@pytest.mark.parametrize(
    ("value", "error"),
    [(math.nan, ValueError), (math.inf, ValueError), ("a\x00", ValueError), ({1, 2}, TypeError)],
)
def test_what_jsonb_cannot_hold_is_refused(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        encode_data({"v": value})


def test_canonical_text_is_compact_with_sorted_keys() -> None:
    assert encode_data({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == '{"a":{"c":"é","d":[1,2]},"b":1}'


# The hash of a known event, pinned: the ledger's proofs and every stored chain depend on
# these exact bytes, so a faster encoder must give them unchanged. The values were made by
# the code as it stood before the encoder was first tuned (commit 69ccef5).
_PINNED_EVENT = {
    "event_id": UUID("6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"),
    "stream_id": "IRP-2027-001",
    "version": 2,
    "position": 7,
    "tx_id": 9,
    "type": "TermStarted",
    "schema_version": 1,
    # an offset other than UTC's and microseconds below a millisecond
    "occurred_at": datetime(2027, 1, 1, 1, 0, 0, 250, tzinfo=timezone(timedelta(hours=1))),
    "recorded_at": datetime(2027, 1, 1, 0, 0, 1, 123456, tzinfo=UTC),
    "actor_id": "system",
    "actor_role": "system",
    "reason": "term 1 starts",
    "hash": b"",
    "prev_hash": bytes(range(32)),
    "hash_scheme": 2,
}
_TERM_STARTED = {
    "term_number": 1,
    "starts_at": "2027-01-01T00:00:00Z",
    "ends_at": "2032-01-01T00:00:00Z",
    "awarded_eur": 60000,
    "tranches": [{"year": 1, "due_at": "2027-01-01T00:00:00Z", "amount_eur": 12000}],
    "reports": [{"report_id": "term1-year1", "year": 1, "due_at": "2027-12-02T00:00:00Z"}],
}
# what normalize_data has to rewrite (a negative zero, a float printed with an exponent),
# a small float with one that stays, text beyond ASCII, keys out of order
_ODD = {
    "é": "Zoëé – ünï",
    "z": [1.5, -0.0, 1e16, 2.5e-8, None, True],
    "a": {"b": "x\ny", "a": -3},
}


@pytest.mark.parametrize(
    ("data", "canonical", "scheme2", "scheme1_first"),
    [
        (
            _TERM_STARTED,
            '["6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f","IRP-2027-001",2,"TermStarted",1,'
            '"2027-01-01T00:00:00.000250+00:00","system","system","term 1 starts",'
            '{"awarded_eur":60000,"ends_at":"2032-01-01T00:00:00Z","reports":[{"due_at":'
            '"2027-12-02T00:00:00Z","report_id":"term1-year1","year":1}],"starts_at":'
            '"2027-01-01T00:00:00Z","term_number":1,"tranches":[{"amount_eur":12000,'
            '"due_at":"2027-01-01T00:00:00Z","year":1}]}]',
            "a9bd16fe43c6c21345f6fe3ee0c0b28786545c1708b205ff2d9929605d9291b1",
            "3c38f3d75746b5b75e2e0b83438d5acab4b8a676eb16e6cec4dcd0f30927b0bb",
        ),
        (
            _ODD,
            '["6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f","IRP-2027-001",2,"TermStarted",1,'
            '"2027-01-01T00:00:00.000250+00:00","system","system","term 1 starts",'
            '{"a":{"a":-3,"b":"x\\ny"},"z":[1.5,0.0,10000000000000000,2.5e-08,null,true],'
            '"é":"Zoëé – ünï"}]',
            "bdd0f2a232f7cf037cbed0ed882c6f6dd79222a3518400b187a840012c6a72b7",
            "c7139049452a85817c0add37a50372ea4989b86bd8b6836892eb400d3fec0c9c",
        ),
    ],
)
def test_the_hash_of_a_known_event_is_pinned(
    data: dict[str, Any], canonical: str, scheme2: str, scheme1_first: str
) -> None:
    event = StoredEvent(**_PINNED_EVENT, data=data)
    text, covered = canonical_parts(event)
    assert covered == canonical.encode()
    assert covered.endswith(b"," + text.encode() + b"]")
    assert canonical_bytes(event) == covered
    assert event_hash(event).hex() == scheme2
    # scheme 1 (no recorded time), first of its stream (no previous hash)
    assert event_hash(replace(event, hash_scheme=1, prev_hash=None)).hex() == scheme1_first
    # a writer's NewEvent of the same content covers the same bytes
    new = NewEvent(
        **{k: v for k, v in _PINNED_EVENT.items() if k in NewEvent.__dataclass_fields__},
        data=data,
    )
    assert canonical_parts(new) == (text, covered)
