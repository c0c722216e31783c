"""The IEA call as a round within an envelope, on Temporal and the store: 30 applications
from five institutes compete for an envelope of twelve; each institute ranks its own,
DERCI closes the call in one step, and each project gets its own decision and e-mail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from application.calls import Calls
from application.policies import Policies
from application.refusals import Refusal
from application.steps import Steps
from domain.actors import Role
from domain.commands import AssignReviewer, DecideApplication, SubmitReview
from domain.events import Recommendation
from domain.institutes import Institute
from domain.policy import CallCalendar, Policy
from domain.state import Phase
from identity.people import PeopleDirectory, Person
from readmodels.outbox import Notification, Outbox
from readmodels.projector import Projector, migrate_read_models
from tests.builders import (
    INSTITUTE,
    LIG,
    MCGILL,
    TOKYO,
    USP,
    coordinator,
    reviewer,
    reviewer_actor,
)  # fmt: skip
from tests.workflows.driver import ProjectDriver

INSTITUTES = [
    Institute.CNRS_BIOLOGIE, Institute.CNRS_CHIMIE, Institute.CNRS_PHYSIQUE,
    Institute.CNRS_TERRE_UNIVERS, Institute.CNRS_INFORMATIQUE,
]  # fmt: skip
PARTNERS = [USP, TOKYO, MCGILL]
ENVELOPE = 12 * 12_000


def person(pid: str, role: Role) -> Person:
    return Person(
        person_id=pid, name=pid, email=f"{pid}@cnrs.example.fr", lab="CNRS", country="FR",
        role=role,
    )  # fmt: skip


DERCI_OFFICER = person("derci-martin", Role.DERCI_OFFICER)
OFFICER = person("insu-dupont", Role.INSTITUTE_OFFICER)


@pytest.fixture
async def enveloped(event_store):
    """The policy DERCI sets before the call opens: an envelope for twelve IEAs."""
    policy = Policy(iea_call=CallCalendar(envelope_eur=ENVELOPE))
    await Policies(event_store).set(
        DERCI_OFFICER, policy.model_dump(mode="json"), date.today(), "2027 call budget"
    )
    return policy


async def test_thirty_applications_five_institutes_an_envelope_for_twelve(
    ts_env, service, event_store, database_url, enveloped
):
    from application.projects import ProjectService

    await migrate_read_models(database_url)
    projects = ProjectService(ts_env.client, service.task_queue, enveloped)
    policies = Policies(event_store)
    calls = Calls(event_store, Steps(event_store, projects, PeopleDirectory(event_store)), policies)
    drivers: list[ProjectDriver] = []
    for n in range(30):
        driver = ProjectDriver(ts_env, projects, f"IEA-round-{n:02}")
        if n == 0:
            await driver.enter_next_iea_call()
        await driver.submit(
            "IEA",
            institute=INSTITUTES[n % 5],
            requested_eur=12_000,
            labs=(LIG, PARTNERS[n % 3]),
            coordinator=coordinator(f"pi-{n:02}"),
        )
        drivers.append(driver)
    year = (await drivers[0].now()).year
    await drivers[0].sleep_until(datetime(year, 9, 16, 12, tzinfo=UTC))  # past the deadline
    for n, driver in enumerate(drivers):
        await driver.wait_for(lambda s: s.phase is Phase.UNDER_EVALUATION, "eligibility")
        await driver.act(AssignReviewer, OFFICER.actor, reviewer=reviewer(f"rev-{n}"))
    for n, driver in enumerate(drivers):
        scores = {"science": 5 - n % 3, "feasibility": 4}
        await driver.act(
            SubmitReview,
            reviewer_actor(f"rev-{n}"),
            scores=scores,
            recommendation=Recommendation.FUND,
        )
    # an IEA of an enveloped call is not decided alone
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await drivers[0].act(
            DecideApplication, INSTITUTE, approve=True, awarded_eur=12_000, reason="good"
        )
    assert "decided together when DERCI closes the call" in str(err.value.cause)
    await Projector(event_store).catch_up()

    by_institute = {i: [d.project_id for d in drivers[k::5]] for k, i in enumerate(INSTITUTES)}
    insb = by_institute[Institute.CNRS_BIOLOGIE]
    await calls.rank(OFFICER, year, Institute.CNRS_BIOLOGIE, insb, "first thoughts")
    for institute, ids in by_institute.items():  # INSB's second ranking replaces its first
        await calls.rank(OFFICER, year, institute, list(reversed(ids)), f"{institute} committee")
    with pytest.raises(Refusal, match="beyond the envelope of 144,000 EUR"):
        await calls.close(DERCI_OFFICER, year, "too much", {insb[0]: 12_000})

    outcome = await calls.close(DERCI_OFFICER, year, "as proposed by the institutes", {})

    assert (outcome.approved, outcome.refused, outcome.pending) == (12, 18, {})
    assert outcome.used_eur == ENVELOPE
    # every institute's first and second (120,000 EUR), then the two best reviewed thirds
    funded = {ids[-1] for ids in by_institute.values()} | {ids[-2] for ids in by_institute.values()}
    thirds = [(i, ids[-3]) for i, ids in by_institute.items()]
    thirds.sort(key=lambda t: (-(5 - int(t[1][-2:]) % 3), t[0].value))
    funded |= {pid for _, pid in thirds[:2]}
    for driver in drivers:
        events = await event_store.read_stream(driver.project_id)
        decisions = [e for e in events if e.type in ("ApplicationApproved", "ApplicationRejected")]
        assert len(decisions) == 1, driver.project_id
        decision = decisions[0]
        assert (decision.actor_id, decision.actor_role) == ("derci-martin", "derci_officer")
        institute = next(i for i, ids in by_institute.items() if driver.project_id in ids)
        rank = list(reversed(by_institute[institute])).index(driver.project_id) + 1
        if driver.project_id in funded:
            assert decision.type == "ApplicationApproved"
            assert decision.data["awarded_eur"] == 12_000
            assert (
                decision.reason == f"ranked no. {rank} by {institute}; within the {year} envelope"
            )
            state = await driver.state()
            assert state.next_term_starts_at == datetime(year + 1, 1, 1, tzinfo=UTC)
        else:
            assert decision.type == "ApplicationRejected"
            assert (
                decision.reason == f"ranked no. {rank} by {institute}; beyond the {year} envelope"
            )

    # closing again takes nothing twice
    again = await calls.close(DERCI_OFFICER, year, "again", {})
    assert again.pending == {}
    streams = [await event_store.read_stream(d.project_id) for d in drivers]
    assert sum(e.type == "ApplicationApproved" for events in streams for e in events) == 12
    with pytest.raises(Refusal, match="it was closed by derci-martin"):
        await calls.close(DERCI_OFFICER, year, "adjust", {insb[0]: 0})

    # every coordinator told once, in English and French
    await Projector(event_store).catch_up()
    sent: list[Notification] = []

    async def send(note: Notification) -> list[str]:
        sent.append(note)
        return [f"{note.recipients[0]}@cnrs.example.fr"]

    outbox = Outbox(event_store)
    while await outbox.deliver_due(send, datetime.now(UTC) + timedelta(days=800)):
        pass
    decisions_sent = [n for n in sent if n.kind.startswith("call_")]
    assert sorted(n.project_id for n in decisions_sent) == sorted(d.project_id for d in drivers)
    assert {n.recipients[0] for n in decisions_sent} == {f"pi-{n:02}" for n in range(30)}
    assert sum(n.kind == "call_approved" for n in decisions_sent) == 12

    view = await calls.show(year)
    assert (view.stage, view.used_eur, view.left_eur) == ("closed", ENVELOPE, 0)
    assert [(s.key, s.applications, s.funded) for s in view.by_institute] == [
        (i.value, 6, len(funded & set(by_institute[i])))
        for i in sorted(INSTITUTES, key=lambda i: i.value)
    ]
    assert sum(s.applications for s in view.by_country) == 30
    assert sum(s.funded for s in view.by_country) == 12
