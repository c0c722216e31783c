"""A person's data under the GDPR, end to end on Temporal and PostgreSQL: the
data-protection officer's export lists every event naming them; their erasure leaves their
name and e-mail nowhere (API, read models, a rebuild, the database's bytes) while decisions
and amounts stay and a digest taken before still verifies; a running project's reviewer
erased mid-life, the project goes on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.refusals import Refusal
from application.service import assemble
from domain.actors import Actor, Role
from domain.personal_data import ERASED_EMAIL, ERASED_NAME
from identity.people import PeopleDirectory, Person
from tests.api.conftest import PEOPLE
from tests.api.test_api import REVIEWER, active, submitted

DPO = Person(
    person_id="dpo-bernard", name="Louise Bernard", email="dpo@cnrs.example.fr",
    lab="DPD CNRS", country="FR", role=Role.DATA_PROTECTION_OFFICER,
)  # fmt: skip
AUDITOR = Actor(id="audit-leroy", role=Role.AUDITOR)
COORDINATOR = PEOPLE["coordinator"]
REVIEWER_PERSON = PEOPLE["reviewer"]


async def bytes_anywhere(owner, needle: str) -> list[str]:
    """The tables whose rows hold `needle`, read as text."""
    tables = await owner.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    found = []
    for t in sorted(r["tablename"] for r in tables):
        if await owner.fetchval(
            f'SELECT count(*) FROM "{t}" x WHERE x::text LIKE $1', f"%{needle}%"
        ):
            found.append(t)
    return found


async def rejected(api, ts_env) -> str:
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    assert (await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)).is_success
    review = {"scores": {"science": 2}, "recommendation": "do_not_fund"}
    assert (await api.post("reviewer", f"/projects/{pid}/reviews", review)).is_success
    decision = {"approve": False, "reason": "outside the institute's priorities"}
    r = await api.post("institute_officer", f"/projects/{pid}/decision", decision)
    assert r.status_code == 200 and r.json()["phase"] == "rejected", r.text
    return pid


@pytest.fixture
async def app(api, event_store, service, tmp_path):
    await PeopleDirectory(event_store).add(DPO, operator="test")
    return assemble(event_store, service, key_file=tmp_path / "ledger.pem")


async def test_a_closed_projects_coordinator_erased_is_nowhere_while_the_record_verifies(
    api, app, ts_env, owner
):
    pid = await rejected(api, ts_env)
    await api.caught_up()
    assert "Claire Durand" in (await api.get("derci_officer", f"/projects/{pid}")).text
    digest = await app.audit.digest()
    before = [(e.type, e.actor_id, e.reason) for e in await app.reads._store.read_stream(pid)]

    kept = await app.privacy.export(DPO, COORDINATOR.person_id)
    assert kept.projects == [pid] and kept.directory is not None
    assert kept.directory["email"] == COORDINATOR.email
    [submission] = [e for e in kept.events if e.type == "ApplicationSubmitted"]
    assert submission.data["application"]["coordinator"]["name"] == "Claire Durand"
    with pytest.raises(Refusal, match="may not export a person's data"):
        await app.privacy.export(COORDINATOR, COORDINATOR.person_id)
    with pytest.raises(Refusal, match="legal_basis: required"):
        await app.privacy.erase(DPO, COORDINATOR.person_id, "their request", " ", "test")

    done = await app.privacy.erase(
        DPO, COORDINATOR.person_id, "request of 2 December", "GDPR art. 17(1)(a)", "test"
    )

    assert (done.projects, done.running, done.erased_by) == ([pid], [], DPO.person_id)
    shown = (await api.get("derci_officer", f"/projects/{pid}")).json()["project"]
    assert shown["coordinator"] == ERASED_NAME and shown["coordinator_id"] == "pi-durand"
    listed = await api.every("derci_officer", "/projects", "projects")
    assert {p["coordinator"] for p in listed if p["project_id"] == pid} == {ERASED_NAME}
    for needle in (COORDINATOR.email, COORDINATOR.name):
        assert await bytes_anywhere(owner, needle) == [], needle
    # the decisions stand, by the same people, for the same reasons
    after = [(e.type, e.actor_id, e.reason) for e in await app.reads._store.read_stream(pid)]
    assert after == before
    # read models rebuilt from the events: still erased
    await app.maintenance.rebuild()
    for needle in (COORDINATOR.email, COORDINATOR.name):
        assert await bytes_anywhere(owner, needle) == [], needle
    state = await owner.fetchval("SELECT state FROM project_states WHERE project_id = $1", pid)
    assert ERASED_EMAIL in state
    # the record no byte of which changed: the digest taken before still verifies
    report = await app.audit.verify(AUDITOR, digest, seal=True)
    assert report.intact and report.covered == digest.tree_size
    # the erasure is a fact of the record, and the export says so
    again = await app.privacy.export(DPO, COORDINATOR.person_id)
    assert again.erased and again.directory is not None
    assert again.directory["name"] == ERASED_NAME and again.directory["revoked_at"]
    # their token signs nobody in any more
    assert (await api.get("coordinator", "/me")).status_code == 401


async def test_a_running_projects_reviewer_erased_mid_life_and_the_project_goes_on(
    api, app, ts_env, service
):
    pid = await active(api, ts_env)
    await api.caught_up()

    done = await app.privacy.erase(
        DPO, REVIEWER_PERSON.person_id, "left the field", "GDPR art. 17(1)(a)", "test"
    )

    assert done.running == [pid]
    state = await service.state(pid)
    assert [a.reviewer.name for a in state.assignments] == [ERASED_NAME]
    assert [r.reviewer_id for r in state.reviews] == [REVIEWER_PERSON.person_id]
    # the project goes on: its coordinator reports, the institute accepts, a year passes
    r = await api.post("coordinator", f"/projects/{pid}/reports/term1-year1", {"summary": "y1"})
    assert r.status_code == 200, r.text
    review = {"accept": True, "reason": "ok"}
    r = await api.post("derci_officer", f"/projects/{pid}/reports/term1-year1/review", review)
    assert r.status_code == 200, r.text
    await ts_env.sleep(timedelta(days=370))
    assert (await service.state(pid)).released_eur > 12_000
    await api.caught_up()
    history = (await api.get("derci_officer", f"/projects/{pid}/history")).text
    assert REVIEWER_PERSON.name not in history


async def test_the_retention_tells_the_officer_a_month_ahead_then_erases(api, app, ts_env):
    """Retention of 10 years (the policy's): the people linked only to a project ended ten
    years ago are noticed first (recorded), and erased once the notice is a month old."""
    pid = await rejected(api, ts_env)
    await api.caught_up()
    ended = max(e.occurred_at for e in await app.reads._store.read_stream(pid))
    ten_years_on = ended.replace(year=ended.year + 10) + timedelta(days=1)
    assert (await app.privacy.retention(ten_years_on - timedelta(days=40))).notice == []

    first = await app.privacy.sweep(ten_years_on, "test")

    assert [d.person_id for d in first.notice] == ["pi-durand", "rev-1"] and first.erase == []
    again = await app.privacy.retention(ten_years_on)
    assert again.notice == [] and [d.person_id for d in again.noticed] == ["pi-durand", "rev-1"]
    with pytest.raises(Refusal, match="may not see the retention"):
        await app.privacy.report(COORDINATOR, ten_years_on)

    month_on = await app.privacy.sweep(ten_years_on + timedelta(days=31), "test")

    assert [d.person_id for d in month_on.erase] == ["pi-durand", "rev-1"]
    kept = await app.privacy.export(DPO, "pi-durand")
    assert kept.erased and kept.directory is not None and kept.directory["name"] == ERASED_NAME
    facts = [e for e in await app.reads._store.read_stream("privacy:pi-durand")]
    assert [(f.type, f.actor_id) for f in facts] == [
        ("RetentionNoticed", "system"), ("PersonErased", "system"),
    ]  # fmt: skip
    assert "retention period of 10 years" in (facts[1].reason or "")
    assert (await app.privacy.retention(ten_years_on + timedelta(days=62))).erase == []
