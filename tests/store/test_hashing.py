"""Canonical bytes survive a round trip through jsonb, so hashes made on the way in
verify on the way out."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstore.hashing import encode_data, normalize_data

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
