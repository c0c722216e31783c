"""Crypto-shredding in the event store: a person's name and e-mail stored sealed under their
own key, read in clear while the key lives; the key destroyed, every event naming them
reads as erased while no stored byte, hash or proof changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from application.audit import Audit
from domain.actors import Actor, Role
from domain.personal_data import ERASED_EMAIL, ERASED_NAME
from eventstore.errors import ConcurrencyError
from eventstore.records import NewEvent

AUDITOR = Actor(id="audit-leroy", role=Role.AUDITOR)
EMAIL = "claire.durand@cnrs.example.fr"


def submitted(stream: str, coordinator: str = "pi-durand", email: str = EMAIL) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        stream_id=stream,
        version=1,
        type="ApplicationSubmitted",
        schema_version=1,
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        actor_id=coordinator,
        actor_role="coordinator",
        reason="",
        data={
            "application": {
                "title": "Amazonian hydrology",
                "coordinator": {
                    "id": coordinator, "name": "Claire Durand", "email": email, "lab": "LIG",
                },
            }
        },
    )  # fmt: skip


def reviewer_assigned(stream: str, version: int) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        stream_id=stream,
        version=version,
        type="ReviewerAssigned",
        schema_version=1,
        occurred_at=datetime(2026, 3, 10, tzinfo=UTC),
        actor_id="insu-dupont",
        actor_role="institute_officer",
        reason="",
        data={
            "reviewer": {"id": "rev-keller", "name": "Anna Keller", "lab": "ETH", "country": "CH"}
        },
    )


async def bytes_anywhere(owner, needle: str) -> list[str]:
    """The tables of the database whose rows hold `needle`, as text."""
    tables = await owner.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    )
    found = []
    for t in tables:
        name = t["tablename"]
        hit = await owner.fetchval(
            f'SELECT count(*) FROM "{name}" x WHERE x::text LIKE $1', f"%{needle}%"
        )
        if hit:
            found.append(name)
    return found


async def test_names_are_stored_sealed_and_read_in_clear(event_store, owner):
    first = submitted("P-seal")
    await event_store.append("P-seal", [first, reviewer_assigned("P-seal", 2)], 0)
    # what is stored: no name, no e-mail
    assert await bytes_anywhere(owner, EMAIL) == []
    assert await bytes_anywhere(owner, "Anna Keller") == []
    stored = await owner.fetchval(
        "SELECT data->'application'->'coordinator'->>'email' FROM events WHERE event_id = $1",
        first.event_id,
    )
    assert stored.startswith("enc:v1:pi-durand:")
    # what is read: in clear, the rest as it was
    events = await event_store.read_stream("P-seal")
    coordinator = events[0].data["application"]["coordinator"]
    assert (coordinator["name"], coordinator["email"]) == ("Claire Durand", EMAIL)
    assert coordinator["lab"] == "LIG" and coordinator["id"] == "pi-durand"
    assert events[1].data["reviewer"]["name"] == "Anna Keller"
    # a retried append is the same event, recognised as such (the sealing is deterministic)
    again = await event_store.append("P-seal", [first], 0)
    assert again.written is False


async def test_an_erased_person_reads_as_erased_and_the_record_still_verifies(
    event_store, owner, tmp_path
):
    await event_store.append("P-erase", [submitted("P-erase")], 0)
    await event_store.append("P-other", [submitted("P-other", "pi-other", "o@x.fr")], 0)
    audit = Audit(event_store, tmp_path / "ledger.pem")
    before = await audit.digest()
    hashes = await owner.fetch("SELECT event_id, hash, data FROM events ORDER BY position")

    assert await event_store.erase_person("pi-durand") is True
    assert await event_store.erase_person("pi-durand") is False  # once

    [erased] = await event_store.read_stream("P-erase")
    coordinator = erased.data["application"]["coordinator"]
    assert (coordinator["name"], coordinator["email"]) == (ERASED_NAME, ERASED_EMAIL)
    assert coordinator["id"] == "pi-durand" and erased.actor_id == "pi-durand"
    [other] = await event_store.read_stream("P-other")
    assert other.data["application"]["coordinator"]["name"] == "Claire Durand"  # not them
    # the global feed and the documents read the same
    feed = [e for e in await event_store.read_all() if e.stream_id == "P-erase"]
    assert feed[0].data["application"]["coordinator"]["email"] == ERASED_EMAIL
    # not a byte of the record changed: the digest taken before still verifies
    assert await owner.fetch("SELECT event_id, hash, data FROM events ORDER BY position") == hashes
    report = await audit.verify(AUDITOR, before, seal=True)
    assert report.intact and report.covered == before.tree_size
    # and whatever names them later is stored erased, never readable again
    await event_store.append("P-erase-2", [submitted("P-erase-2")], 0)
    [later] = await event_store.read_stream("P-erase-2")
    assert later.data["application"]["coordinator"]["name"] == ERASED_NAME
    assert await bytes_anywhere(owner, EMAIL) == []


async def test_a_name_typed_to_look_sealed_is_sealed_like_any_and_reads_back_as_typed(
    event_store, owner
):
    """What a person types is sealed whatever it looks like, and a reader never fails on a
    value it cannot open: it reads as erased."""
    looks_sealed = "enc:v1:pi-durand:junk"
    event = submitted("P-typed")
    event.data["application"]["coordinator"]["name"] = looks_sealed
    await event_store.append("P-typed", [event], 0)
    [read] = await event_store.read_stream("P-typed")
    assert read.data["application"]["coordinator"]["name"] == looks_sealed
    assert await bytes_anywhere(owner, looks_sealed) == []
    # a value that is not a sealing of this person's key (forged behind the store's back)
    await owner.execute(
        "ALTER TABLE events DISABLE TRIGGER USER; "
        "UPDATE events SET data = jsonb_set(data, '{application,coordinator,email}', "
        "'\"enc:v1:pi-durand:bm90IGEgc2VhbGluZw==\"') WHERE stream_id = 'P-typed'; "
        "ALTER TABLE events ENABLE TRIGGER USER"
    )
    [forged] = await event_store.read_stream("P-typed")
    assert forged.data["application"]["coordinator"]["email"] == ERASED_EMAIL
    assert [e.stream_id for e in await event_store.read_all() if e.stream_id == "P-typed"]


async def test_an_append_retried_after_its_person_was_erased_is_the_same_event(event_store):
    """The first attempt was stored, its answer lost; the person is erased; the retry seals
    them as erased: still the event already stored, not a conflict."""
    first = submitted("P-retried")
    await event_store.append("P-retried", [first], 0)
    await event_store.erase_person("pi-durand")
    again = await event_store.append("P-retried", [first], 0)
    assert again.written is False
    other = submitted("P-retried")  # another event under the same version: a real conflict
    with pytest.raises(ConcurrencyError):
        await event_store.append("P-retried", [other], 0)
