"""Sealing, in place, the events a store recorded before sealing began: afterwards no name
or e-mail is left in clear in the events, a digest taken before still verifies (carried by
the signed re-anchoring statement), whoever holds the keys sees each rewritten event differ
only by the sealing, a second run changes nothing, and an interrupted run changed nothing.
A statement altered, or one forged with another key, is a break of the record."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from application.audit import Audit
from domain.actors import Actor, Role
from domain.personal_data import ERASED_NAME
from eventstore import reanchoring, resealing
from eventstore.ledger import Ledger, event_leaf
from eventstore.migrations import MIGRATIONS_DIR, migrate
from eventstore.postgres import _APPEND, PostgresEventStore, _columns, _prepare, _stored_event
from eventstore.records import NewEvent
from eventstore.tree_head import load_or_create_key
from tests.store.test_shredding import EMAIL, bytes_anywhere, reviewer_assigned, submitted

AUDITOR = Actor(id="audit-leroy", role=Role.AUDITOR)
NOW = datetime(2027, 5, 3, 9, 30, tzinfo=UTC)


def noted(stream: str, version: int) -> NewEvent:
    """An event that names nobody: after a sealed one, only its chain links change."""
    return NewEvent(
        event_id=uuid.uuid4(), stream_id=stream, version=version, type="NoteAdded",
        schema_version=1, occurred_at=datetime(2026, 3, 20, tzinfo=UTC), actor_id="insu-dupont",
        actor_role="institute_officer", reason="", data={"note": "field work in May"},
    )  # fmt: skip


async def pre_sealing_store(database_url: str, tmp_path: Path) -> None:
    """The database as the store held it before sealing began: its migrations up to 0009,
    and events appended by the append function of then, names and e-mails in clear."""
    then = tmp_path / "migrations-then"
    then.mkdir()
    for sql in MIGRATIONS_DIR.glob("*.sql"):
        if int(sql.name[:4]) <= 9:
            shutil.copy(sql, then)
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, directory=then)
        for stream, events in (
            ("P-old", [submitted("P-old"), reviewer_assigned("P-old", 2), noted("P-old", 3)]),
            ("P-other", [submitted("P-other", "pi-other", "o.other@cnrs.example.fr")]),
        ):
            await conn.fetchval(_APPEND, *_prepare(stream, events, 0).args)
    finally:
        await conn.close()


@pytest.fixture
async def store(database_url, tmp_path):
    """A store upgraded from a pre-sealing one, which it goes on recording in: P-old gets
    a sealed event after its clear ones, P-new only sealed ones."""
    await pre_sealing_store(database_url, tmp_path)
    store = await PostgresEventStore.connect(database_url)  # migrates 0010 on
    yield store
    await store.close()


@pytest.fixture
def key_file(tmp_path):
    return tmp_path / "keys" / "ledger.pem"


async def reseal(store, database_url, key_file, reason="events recorded before sealing began"):
    """The statement the run recorded (None: nothing to seal)."""
    done = await resealing.seal_existing(
        store, database_url, load_or_create_key(key_file), by="dpo-bernard", operator="ops",
        reason=reason, now=NOW,
    )  # fmt: skip
    return done and done.statement


async def clear_in_events(owner, needle: str) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM events WHERE data::text LIKE $1", f"%{needle}%"
    )


async def test_sealing_existing_events_keeps_every_digest_taken_before_verifying(
    store, owner, database_url, key_file
):
    audit = Audit(store, key_file)
    early = await audit.digest()  # the pre-sealing events only
    await store.append("P-old", [reviewer_assigned("P-old", 4)], 3)
    await store.append("P-new", [submitted("P-new", "pi-new", "new@cnrs.example.fr")], 0)
    before = await audit.digest()
    assert (early.tree_size, before.tree_size) == (4, 6)
    # in clear: P-old's coordinator and reviewer, P-other's coordinator (same name)
    clear = {EMAIL: 1, "Claire Durand": 2, "Anna Keller": 1, "o.other@cnrs.example.fr": 1}
    assert {needle: await clear_in_events(owner, needle) for needle in clear} == clear

    statement = await reseal(store, database_url, key_file)

    assert statement is not None
    # nothing of a person in clear left in the events, nor anywhere else in the database
    for needle in clear:
        assert await clear_in_events(owner, needle) == 0, needle
        assert await bytes_anywhere(owner, needle) == [], needle
    # they read as they did
    old = await store.read_stream("P-old")
    assert old[0].data["application"]["coordinator"]["email"] == EMAIL
    assert old[1].data["reviewer"]["name"] == "Anna Keller"
    assert [e.type for e in old] == [
        "ApplicationSubmitted", "ReviewerAssigned", "NoteAdded", "ReviewerAssigned",
    ]  # fmt: skip
    # sealed: the three events in clear; chained again: the two after them in P-old
    assert sorted((c.ledger_index, c.sealed) for c in statement.changes) == [
        (0, True), (1, True), (2, False), (3, True), (4, False),
    ]  # fmt: skip
    assert statement.old_head.root_hash == before.root_hash
    assert statement.new_head.root_hash != before.root_hash
    assert (statement.by, statement.operator) == ("dpo-bernard", "ops")

    # digests taken before, at either size, still verify: carried across the statement
    for digest in (early, before):
        report = await audit.verify(AUDITOR, digest, seal=True)
        assert report.intact, report.first_break
        assert report.covered == digest.tree_size
        assert [(r.by, r.rewritten) for r in report.reanchored] == [("dpo-bernard", 5)]
    # and one taken after, as any digest is
    after = await audit.digest()
    assert after.root_hash == statement.new_head.root_hash
    report = await audit.verify(AUDITOR, after, seal=True)
    assert report.intact and report.reanchored == []
    # the record goes on: an append chains on the rewritten stream's new head
    await store.append("P-old", [noted("P-old", 5)], 4)
    assert (await audit.verify(AUDITOR, before, seal=True)).intact

    # whoever holds the keys: each rewritten event, opened, is the event it was
    checked, differing = await resealing.differences(store, [statement])
    assert (checked, differing) == (5, [])


async def test_a_second_run_changes_nothing(store, owner, database_url, key_file):
    audit = Audit(store, key_file)
    before = await audit.digest()
    assert await reseal(store, database_url, key_file) is not None
    rows = await owner.fetch("SELECT * FROM events ORDER BY position")
    leaves = await owner.fetch("SELECT * FROM ledger ORDER BY ledger_index")

    assert await reseal(store, database_url, key_file, reason="again") is None

    assert await owner.fetch("SELECT * FROM events ORDER BY position") == rows
    assert await owner.fetch("SELECT * FROM ledger ORDER BY ledger_index") == leaves
    assert await owner.fetchval("SELECT count(*) FROM ledger_reanchorings") == 1
    assert (await audit.verify(AUDITOR, before, seal=True)).intact


async def test_an_interrupted_run_changed_nothing_and_runs_again(
    store, owner, database_url, key_file, monkeypatch
):
    audit = Audit(store, key_file)
    before = await audit.digest()
    rows = await owner.fetch("SELECT * FROM events ORDER BY position")

    async def cut(conn, statement):
        raise ConnectionResetError("the operator's session dropped")

    with monkeypatch.context() as m:
        m.setattr(reanchoring, "record", cut)
        with pytest.raises(ConnectionResetError):
            await reseal(store, database_url, key_file)

    assert await owner.fetch("SELECT * FROM events ORDER BY position") == rows
    assert await clear_in_events(owner, EMAIL) == 1
    # the append-only guard is back on, as it never left
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await owner.execute("UPDATE events SET reason = 'x' WHERE stream_id = 'P-old'")
    assert (await audit.verify(AUDITOR, before, seal=True)).intact

    assert await reseal(store, database_url, key_file) is not None
    assert await clear_in_events(owner, EMAIL) == 0
    assert (await audit.verify(AUDITOR, before, seal=True)).intact


async def test_an_append_under_way_finishes_first_and_the_run_chains_on_it(
    store, owner, database_url, key_file
):
    """An append that holds its stream's row when the run starts is not deadlocked by it:
    the run waits for it, then rewrites the stream with the new event chained on."""
    audit = Audit(store, key_file)
    before = await audit.digest()
    async with store.connection() as conn, conn.transaction():
        await conn.execute("SELECT 1 FROM streams WHERE stream_id = 'P-old' FOR UPDATE")
        run = asyncio.create_task(reseal(store, database_url, key_file))
        while not await owner.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE streams%'"
        ):
            assert not run.done(), run
            await asyncio.sleep(0.02)
        await store.append("P-old", [noted("P-old", 4)], 3, conn=conn)
    statement = await asyncio.wait_for(run, 30)

    assert [e.version for e in await store.read_stream("P-old")] == [1, 2, 3, 4]
    assert await clear_in_events(owner, EMAIL) == 0
    assert (await audit.verify(AUDITOR, before, seal=True)).intact
    # P-old v4 came after the run sealed the ledger: sealed since, as it was rewritten
    assert len(statement.changes) == 4
    assert (await resealing.differences(store, [statement]))[1] == []


async def test_a_person_erased_after_the_resealing_is_unreadable_and_the_record_verifies(
    store, owner, database_url, key_file
):
    audit = Audit(store, key_file)
    before = await audit.digest()
    statement = await reseal(store, database_url, key_file)

    assert await store.erase_person("pi-durand") is True

    [first, *_] = await store.read_stream("P-old")
    assert first.data["application"]["coordinator"]["name"] == ERASED_NAME
    assert (await audit.verify(AUDITOR, before, seal=True)).intact
    # their events can no longer be opened (nor those after them in the stream): the
    # check says so, as erased, not as differing
    _, found = await resealing.differences(store, [statement])
    assert [(d.stream_id, d.version, d.erased) for d in found] == [
        ("P-old", 1, True), ("P-old", 2, True), ("P-old", 3, True),
    ]  # fmt: skip


async def test_a_person_erased_before_the_resealing_is_sealed_as_erased(
    store, owner, database_url, key_file
):
    """Erased while their events were in clear, their name stayed; sealed now under their
    destroyed key, it is gone."""
    assert await store.erase_person("rev-keller") is True
    assert await clear_in_events(owner, "Anna Keller") == 1

    await reseal(store, database_url, key_file)

    assert await bytes_anywhere(owner, "Anna Keller") == []
    [_, assigned, _] = await store.read_stream("P-old")
    assert assigned.data["reviewer"]["name"] == ERASED_NAME


async def test_the_check_finds_an_event_that_differs_by_more_than_the_sealing(
    store, owner, database_url, key_file
):
    """A rewrite that changed a coordinator's lab too, its new leaf in the statement (the
    forger would need the ledger's key to sign it; the check does not rest on that): the
    event, opened, is not the one it was, and nothing after it in its stream can be shown
    to be."""
    statement = await reseal(store, database_url, key_file)
    first = statement.changes[0]
    assert first.sealed and first.ledger_index == 0
    await owner.execute(
        "ALTER TABLE events DISABLE TRIGGER events_no_update; "
        "UPDATE events SET data = jsonb_set(data, '{application,coordinator,lab}', '\"LAAS\"') "
        f"WHERE event_id = '{first.event_id}'; ALTER TABLE events ENABLE TRIGGER events_no_update"
    )
    row = await owner.fetchrow(
        f"SELECT {_columns()} FROM events WHERE event_id = $1", uuid.UUID(first.event_id)
    )
    leaf = event_leaf(_stored_event(row)).hex()
    forged = [
        c.model_copy(update={"new_leaf": leaf}) if c is first else c for c in statement.changes
    ]

    _, found = await resealing.differences(
        store, [statement.model_copy(update={"changes": forged})]
    )

    assert [(d.stream_id, d.version, d.erased) for d in found] == [
        ("P-old", 1, False), ("P-old", 2, False), ("P-old", 3, False),
    ]  # fmt: skip
    assert "it differs by more than the sealing" in found[0].detail
    assert found[1].detail == "cannot be checked: an event before it differs"
    # and the unforged statement, against the altered row, says the row is not its leaf
    _, found = await resealing.differences(store, [statement])
    assert found[0].detail == "as stored, it is not the new leaf the statement gives it"


async def test_an_altered_statement_or_kept_leaf_breaks_the_record(
    store, owner, database_url, key_file
):
    audit = Audit(store, key_file)
    before = await audit.digest()
    statement = await reseal(store, database_url, key_file)
    kept = statement.changes[0].old_leaf

    await owner.execute(
        "ALTER TABLE ledger_reanchorings DISABLE TRIGGER USER; "
        f"UPDATE ledger_reanchorings SET statement = replace(statement, '{kept}', "
        f"'{'0' * 64}'); ALTER TABLE ledger_reanchorings ENABLE TRIGGER USER"
    )

    for digest in (before, None):
        report = await audit.verify(AUDITOR, digest, seal=True)
        assert not report.intact
        assert report.first_break.detail == (
            "the re-anchoring of 2027-05-03 09:30 UTC: the statement's signature does not "
            "match its contents"
        )


async def test_a_statement_signed_with_another_key_does_not_carry_a_digest(
    store, owner, database_url, key_file, tmp_path
):
    """Whoever rewrote the database and signed a statement of their own (with a key of
    their own) cannot pass it for the service's."""
    audit = Audit(store, key_file)
    before = await audit.digest()
    await reseal(store, database_url, tmp_path / "their-key.pem")

    report = await audit.verify(AUDITOR, before, seal=True)

    assert not report.intact
    assert report.first_break.detail.startswith(
        "the re-anchoring of 2027-05-03 09:30 UTC: it is signed by key "
    )
    assert "not by this service's key" in report.first_break.detail
    # an auditor without the service's key file holds the digest's key: same verdict
    outside = await Audit(store, None).verify(AUDITOR, before, seal=True)
    assert not outside.intact and "does not carry the digest" in outside.first_break.detail


async def test_the_statement_table_is_append_only_and_only_read_by_the_application(
    store, owner, database_url, key_file
):
    await reseal(store, database_url, key_file)
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await owner.execute("DELETE FROM ledger_reanchorings")
    async with store.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM ledger_reanchorings") == 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO ledger_reanchorings (statement) VALUES ('{}')")
    assert await Ledger(store).size() == 4
