"""A project lived before sealing began (its people's names and e-mails recorded in clear),
then `collab privacy seal-existing` run once: afterwards an erasure finds nothing left in
clear and leaves the person nowhere in the database, read models included; a digest taken
before the sealing still verifies; `collab privacy check-sealing` confirms that the
rewritten events differ from what they were only by the sealing."""

from __future__ import annotations

import contextlib
import json

import pytest

from application.service import assemble
from cli import commands
from cli.errors import CliError
from domain.actors import Actor, Role
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory
from tests.api.conftest import PEOPLE
from tests.api.test_privacy import DPO, bytes_anywhere, rejected

AUDITOR = Actor(id="audit-leroy", role=Role.AUDITOR)
COORDINATOR = PEOPLE["coordinator"]
REVIEWER_PERSON = PEOPLE["reviewer"]
SUBMITTED_EMAIL = "pi-durand@cnrs.example.fr"  # the application's (tests.builders)
SEAL = ("privacy", "seal-existing", "--reason", "events recorded before sealing began")


@pytest.fixture
async def app(api, event_store, service, tmp_path, database_url):
    await PeopleDirectory(event_store).add(DPO, operator="test")

    async def owner_url() -> str:
        return database_url

    return assemble(event_store, service, key_file=tmp_path / "ledger.pem", owner_url=owner_url)


@contextlib.contextmanager
def recorded_in_clear(monkeypatch):
    """The store as it appended before sealing began: the data as given."""

    async def as_given(self, events, conn):
        return events

    with monkeypatch.context() as m:
        m.setattr(PostgresEventStore, "_sealed", as_given)
        yield


async def collab(app, monkeypatch, *words: str) -> str:
    """`collab WORDS` run on `app`, as the CLI runs it; what it printed (the projector
    running beside logs to stdout too: what the command shows is taken where it shows it)."""
    shown: list[str] = []

    def show(args, obj, text):
        shown.append(json.dumps(obj) if args.json else text)

    monkeypatch.setattr(commands, "show", show)
    assert await commands.run(app, commands.build_parser().parse_args(list(words))) == 0
    [printed] = shown
    return printed


async def test_a_project_recorded_in_clear_is_sealed_and_its_people_erased_from_everywhere(
    api, app, ts_env, owner, monkeypatch, tmp_path
):
    with recorded_in_clear(monkeypatch):
        pid = await rejected(api, ts_env)
        await api.caught_up()
    assert "events" in await bytes_anywhere(owner, SUBMITTED_EMAIL)  # in clear, as then
    digest = await app.audit.digest()
    # the reviewer erased before the sealing: the erasure names the event it cannot seal,
    # and the name stays there, and in the read models projected from it
    early = await app.privacy.erase(DPO, REVIEWER_PERSON.person_id, "left", "GDPR 17", "test")
    assert len(early.in_clear) == 1
    assert "events" in await bytes_anywhere(owner, REVIEWER_PERSON.name)
    with pytest.raises(CliError, match="may not seal the personal data of existing events"):
        await collab(app, monkeypatch, *SEAL, "--as", "audit-leroy")

    said = await collab(app, monkeypatch, *SEAL, "--as", "dpo-bernard")

    assert said.startswith("2 events recorded before sealing began are sealed now, and "), said
    assert "a digest taken before still verifies" in said
    assert await bytes_anywhere(owner, REVIEWER_PERSON.name) == []  # read models too
    # run again: nothing to seal, nothing changed
    again = await collab(app, monkeypatch, *SEAL, "--as", "dpo-bernard", "--json")
    assert json.loads(again)["rewritten"] == 0
    # the auditor, with the operator who holds the keys: the coordinator's submission is
    # the event it was; what follows the erased reviewer can no longer be opened
    checked = json.loads(
        await collab(app, monkeypatch, "privacy", "check-sealing", "--as", "audit-leroy", "--json")
    )
    assert checked["statements"] == 1 and checked["confirmed"] >= 1
    assert checked["confirmed"] + len(checked["unconfirmed"]) == checked["checked"]
    assert all(u["erased"] for u in checked["unconfirmed"]), checked["unconfirmed"]

    done = await app.privacy.erase(DPO, COORDINATOR.person_id, "request", "GDPR 17", "test")

    assert done.in_clear == [] and done.projects == [pid]
    for needle in (SUBMITTED_EMAIL, COORDINATOR.email, COORDINATOR.name, REVIEWER_PERSON.name):
        assert await bytes_anywhere(owner, needle) == [], needle
    await app.maintenance.rebuild()  # read models made again from the events: the same
    for needle in (SUBMITTED_EMAIL, COORDINATOR.email, COORDINATOR.name, REVIEWER_PERSON.name):
        assert await bytes_anywhere(owner, needle) == [], needle
    # the digest taken while they were in clear still verifies, across the re-anchoring
    report = await app.audit.verify(AUDITOR, digest, seal=True)
    assert report.intact and report.covered == digest.tree_size
    assert [(r.by, r.reason) for r in report.reanchored] == [
        ("dpo-bernard", "events recorded before sealing began")
    ]
    kept = tmp_path / "before.json"
    kept.write_text(digest.model_dump_json())
    verified = await collab(app, monkeypatch, "audit", "verify", "--digest", str(kept))
    assert f"intact up to {digest.tree_size} events" in verified
    assert "across the re-anchoring of " in verified and " by dpo-bernard " in verified
    shown = (await api.get("derci_officer", f"/projects/{pid}")).json()["project"]
    assert shown["coordinator"] == "(erased)" and shown["phase"] == "rejected"
