"""Policy that DERCI changes without a release: the call opened each June by the Schedule
opens once a year under the version in force that year, and a new application records the
version in force when it is submitted; a running project keeps the policy it started with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from application.policies import Policies
from application.refusals import Refusal
from domain.actors import Role
from domain.calendar import add_years
from domain.policy import DEFAULT_POLICY, CallCalendar, FundingPolicy, Policy
from identity.people import Person
from workflows.iea_call import IeaCallOpener, IeaCallWorkflow
from workflows.messages import iea_call_workflow_id

OFFICER = Person(
    person_id="derci-martin", name="Élise Martin", email="e.martin@cnrs.example.fr",
    lab="DERCI", country="FR", role=Role.DERCI_OFFICER,
)  # fmt: skip


async def open_call(ts_env, service, run: int) -> str:
    """Run the opener as the Schedule would (its target workflow, on the service's queue),
    at the environment's present (no time skipped while its activity reads the policy)."""
    with ts_env.auto_time_skipping_disabled():
        return await ts_env.client.execute_workflow(
            IeaCallOpener.run, id=f"opener-{run}", task_queue=service.task_queue
        )


async def advance_to(ts_env, moment: datetime) -> None:
    while (await ts_env.get_current_time()) < moment:
        await ts_env.sleep(timedelta(days=7))  # short steps (../shared/notes)


async def window_of(ts_env, year: int):
    handle = ts_env.client.get_workflow_handle_for(IeaCallWorkflow.run, iea_call_workflow_id(year))
    return (await handle.query(IeaCallWorkflow.status)).window


@pytest.mark.parametrize(
    ("years_ahead", "opens", "closes"), [(1, (5, 2), (8, 20)), (2, (7, 1), (10, 1))]
)
async def test_each_years_call_opens_once_under_that_years_policy(
    ts_env, service, event_store, years_ahead, opens, closes
):
    """The opener, as the Schedule fires it early in a year, opens that year's call under
    the version DERCI set for that year (two versions set ahead, each year its own); a
    second firing in the same year opens nothing more. One year per test: the
    time-skipping server's clock is moved before any workflow runs."""
    policies = Policies(event_store)
    now = await ts_env.get_current_time()
    may = Policy(iea_call=CallCalendar(opens_month=5, opens_day=2, closes_month=8, closes_day=20))
    july = Policy(iea_call=CallCalendar(opens_month=7, opens_day=1, closes_month=10, closes_day=1))
    await policies.set(OFFICER, may.model_dump(mode="json"), date(now.year + 1, 1, 1), "earlier")
    await policies.set(OFFICER, july.model_dump(mode="json"), date(now.year + 2, 1, 1), "later")
    year = now.year + years_ahead
    await advance_to(ts_env, datetime(year, 1, 2, tzinfo=UTC))
    assert await open_call(ts_env, service, 1) == iea_call_workflow_id(year)
    window = await window_of(ts_env, year)
    assert (window.opens_at.month, window.opens_at.day) == opens
    assert (window.closes_at.month, window.closes_at.day) == closes
    assert window.term_starts_at == datetime(year + 1, 1, 1, tzinfo=UTC)
    assert await open_call(ts_env, service, 2) == iea_call_workflow_id(year)
    assert await window_of(ts_env, year) == window  # still the one call, unchanged
    book = await policies.book()
    assert [(v.version, v.set_by, v.reason) for v in book.versions] == [
        (0, None, None),
        (1, "derci-martin", "earlier"),
        (2, "derci-martin", "later"),
    ]


async def test_versions_follow_each_other_and_read_back(event_store):
    policies = Policies(event_store)
    first = await policies.set(OFFICER, {}, date(2099, 1, 1), "one")
    with pytest.raises(Exception, match="takes effect after it"):
        await policies.set(OFFICER, {}, date(2099, 1, 1), "two")
    narrower = DEFAULT_POLICY.model_dump(mode="json")
    narrower["funding"]["IRP"] = FundingPolicy(
        funding_min_eur=50_000, funding_max_eur=60_000, max_renewals=1
    ).model_dump(mode="json")
    second = await policies.set(OFFICER, narrower, date(2099, 6, 1), "a smaller envelope")
    assert (first.version, second.version) == (1, 2)
    book = await policies.book()
    assert (
        book.in_force(datetime(2099, 7, 1, tzinfo=UTC)).policy.funding_for("IRP").funding_max_eur
        == 60_000
    )


async def test_a_renewed_term_starts_under_the_version_in_force_that_day(
    ts_env, service, event_store
):
    """An IRP started under the default runs its first term under it; DERCI sets a version
    effective next year (IRPs 40,000–60,000 EUR, reports due 60 days before anniversaries);
    the renewal granted through the application checks the award against it, and the
    second term's reports fall due as it says, while the first term's did not move."""
    from application.steps import Steps
    from domain.commands import DecideRenewal, RequestRenewal
    from domain.declarations import DECLARED
    from domain.instruments import InstrumentCode
    from identity.people import PeopleDirectory
    from tests.builders import pi_actor
    from tests.workflows.driver import ProjectDriver

    now = await ts_env.get_current_time()
    later = Policy(
        funding={
            **DEFAULT_POLICY.funding,
            InstrumentCode.IRP: FundingPolicy(
                funding_min_eur=40_000, funding_max_eur=60_000, max_renewals=1
            ),
        },
        report_due_days_before_anniversary=60,
    )
    irp = ProjectDriver(ts_env, service, "IRP-later-policy")
    await irp.submit("IRP")
    await irp.evaluate()
    await irp.approve(72_000, timedelta(days=30))
    await Policies(event_store).set(
        OFFICER, later.model_dump(mode="json"), date(now.year + 1, 1, 1), "tighter IRP range"
    )
    first = None
    while first is None:
        await ts_env.sleep(timedelta(days=31))
        first = (await irp.state()).term
    first_reports = {r.report_id: r.due_at for r in (await irp.state()).reports}
    await irp.report_on_time(first.ends_at - timedelta(days=240))
    await irp.act(RequestRenewal, pi_actor(), requested_eur=60_000)
    steps = Steps(event_store, service, PeopleDirectory(event_store))
    decide = DECLARED[DecideRenewal]
    typed = {"grant": True, "awarded_eur": 70_000, "reason": "productive"}
    with pytest.raises(Refusal, match="outside IRP range 40000–60000"):
        await steps.take(decide, OFFICER, typed, irp.project_id)
    await steps.take(decide, OFFICER, {**typed, "awarded_eur": 60_000}, irp.project_id)
    await irp.report_on_time(first.ends_at + timedelta(days=1))
    state = await irp.wait_for(lambda s: s.term is not None and s.term.number == 2, "term 2")
    assert state.term is not None
    due = {r.report_id: r.due_at for r in state.reports}
    assert due["term2-year1"] == add_years(state.term.starts_at, 1) - timedelta(days=60)
    assert {k: due[k] for k in first_reports} == first_reports  # the first term's kept
    assert state.term_policy == later
    [granted] = [
        e for e in await event_store.read_stream(irp.project_id) if e.type == "RenewalGranted"
    ]
    assert Policy.model_validate(granted.data["policy"]) == later
