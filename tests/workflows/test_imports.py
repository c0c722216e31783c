"""Running projects brought in from a file (issue 16), on the time-skipping server with the
store in PostgreSQL: every instrument at every point of its life, the bad entries refused
with their place and rule, a second import creating nothing, and an imported IRL going on
from where it stands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import yaml

from application.imports import Imports
from domain.actors import Role
from domain.calendar import add_months, add_years
from domain.commands import ReviewReport, SubmitReport
from domain.state import Phase, TrancheStatus
from identity.people import Person
from tests.builders import DERCI, application, pi_actor
from tests.workflows.driver import ProjectDriver
from tests.workflows.test_project_lives import stored

OFFICER = Person(
    person_id="derci-martin", name="Élise Martin", email="e.martin@cnrs.example.fr",
    lab="DERCI", country="FR", role=Role.DERCI_OFFICER,
)  # fmt: skip
AWARD = {"IEA": 12_000, "IRN": 60_000, "IRP": 60_000, "IRL": 90_000}
YEARS = {"IEA": 2, "IRN": 5, "IRP": 5, "IRL": 5}


def entry(pid: str, code: str, starts: datetime, **past: Any) -> dict[str, Any]:
    app = application(code).model_dump(mode="json", exclude_none=True)
    imported = {
        "awarded_eur": AWARD[code],
        "term_starts_at": starts.isoformat(),
        "term_number": 1,
        "renewals": 0,
        "tranches_released": 1,
        "reports_accepted": [],
        "decided_by": {"id": "derci-martin", "role": "derci_officer"},
        "reason": "running since before the service",
        **past,
    }
    return {"project_id": pid, **app, "imported": imported}


def reports(term: int, years: int) -> list[str]:
    return [f"term{term}-year{y}" for y in range(1, years + 1)]


def portfolio(now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """40 good entries (each instrument at five points of its life, twice) and 10 bad."""
    good: list[dict[str, Any]] = []
    for n in range(2):
        for code in ("IEA", "IRN", "IRP", "IRL"):
            years = YEARS[code]
            pid = f"IMP-{code}-{n}"
            good += [
                entry(f"{pid}-first", code, now - timedelta(days=90)),
                entry(
                    f"{pid}-window", code, add_months(now, -(years * 12 - 6)),
                    tranches_released=years, reports_accepted=reports(1, years - 1),
                ),
                entry(f"{pid}-late", code, add_years(now, -1) - timedelta(days=10)),
                entry(
                    f"{pid}-ended", code, add_years(now, -years) - timedelta(days=20),
                    tranches_released=years, reports_accepted=reports(1, years - 1),
                ),
                # an IEA has no second term: its fifth point is a second year
                entry(
                    f"{pid}-second", code, add_months(now, -14), tranches_released=2,
                    reports_accepted=["term1-year1"],
                )
                if code == "IEA"
                else entry(
                    f"{pid}-second", code, add_months(now, -14), term_number=2, renewals=1,
                    tranches_released=2, reports_accepted=["term2-year1"],
                ),
            ]  # fmt: skip
    start = now - timedelta(days=90)
    bad = [
        entry("BAD-0", "IRP", start, awarded_eur=120_000),
        entry("BAD-1", "IRP", start, term_number=2, renewals=0),
        entry("BAD-2", "IRP", start, tranches_released=3),
        entry("BAD-3", "IRL", add_years(now, -2), tranches_released=2),
        entry("BAD-4", "IRL", start, decided_by={"id": "pi-durand", "role": "coordinator"}),
        entry("BAD-5", "IRL", now + timedelta(days=30), tranches_released=0),
        entry("BAD-6", "IEA", start, renewals=1, term_number=2),
        {**entry("BAD-7", "IRN", start), "labs": [{"name": "Nowhere", "country": "XX"}]},
        {**entry("BAD 8", "IRN", start)},
        {k: v for k, v in entry("BAD-9", "IRN", start).items() if k != "imported"},
    ]
    return good + bad, [e["project_id"] for e in good]


async def test_fifty_entries_forty_created_ten_refused_and_a_second_import_changes_nothing(
    ts_env, service, event_store
):
    now = await ts_env.get_current_time()
    entries, good = portfolio(now)
    content = yaml.safe_dump(entries, allow_unicode=True).encode()
    imports = Imports(event_store, service)

    dry = await imports.run(OFFICER, "portfolio.yaml", content, dry_run=True)
    assert sorted(dry.created) == sorted(good) and len(dry.refused) == 10
    for pid in good:  # nothing created
        assert await event_store.read_stream(pid) == []

    report = await imports.run(OFFICER, "portfolio.yaml", content)
    assert sorted(report.created) == sorted(good) and report.unchanged == []
    refused = {r.index: r for r in report.refused}
    assert sorted(refused) == list(range(40, 50))
    messages = {r.project_id: r.message for r in report.refused}
    assert messages["BAD-0"] == "awarded amount 120000 EUR outside IRP range 50000–75000"
    assert messages["BAD-1"].startswith("imported.renewals: a project in its term 2")
    assert messages["BAD-2"].startswith("imported.tranches_released: 3 tranches released")
    assert messages["BAD-3"].startswith("imported.reports_accepted: tranche 2 was released")
    assert messages["BAD-4"].startswith("imported.decided_by: a project is decided by")
    assert messages["BAD-5"].startswith("imported.term_starts_at: the term starts on")
    assert messages["BAD-6"] == "imported.renewals: an IEA is not renewed"
    assert messages["BAD-7"].startswith("application.labs.0.country: XX is not a country")
    assert messages["BAD 8"].startswith("project_id:")
    assert messages["BAD-9"].startswith("imported:")

    again = await imports.run(OFFICER, "portfolio.yaml", content)
    assert again.created == [] and sorted(again.unchanged) == sorted(good)
    assert len(again.refused) == 10

    for pid in good:
        [imported, *_] = await stored(event_store, pid)
        assert imported.type == "ProjectImported" and imported.version == 1
        assert imported.actor == DERCI and imported.reason == "running since before the service"
        assert imported.data.source.entry == good.index(pid)
    # a project whose term had ended is closed by its workflow at the import, not before
    ended = await stored(event_store, "IMP-IRP-0-ended")
    closed = [e for e in ended if e.type == "ProjectClosed"]
    assert len(closed) == 1 and closed[0].occurred_at >= now
    # an overdue report withholds the tranche that needs it
    late = await stored(event_store, "IMP-IRP-0-late")
    assert [(e.type, e.data.year) for e in late if e.type == "TrancheWithheld"] == [
        ("TrancheWithheld", 2)
    ]


async def test_an_imported_irl_in_its_third_year_gets_its_fourth_tranche_only_after_its_report(
    ts_env, service, event_store
):
    now = await ts_env.get_current_time()
    starts = add_months(now, -27)  # in its third year
    irl = entry(
        "IMP-IRL-Y3", "IRL", starts, tranches_released=3,
        reports_accepted=["term1-year1", "term1-year2"],
    )  # fmt: skip
    report = await Imports(event_store, service).run(
        OFFICER, "irl.json", json.dumps([irl]).encode()
    )
    assert report.created == ["IMP-IRL-Y3"], report.refused
    driver = ProjectDriver(ts_env, service, "IMP-IRL-Y3")
    driver.follow()
    state = await driver.state()
    assert state.phase is Phase.ACTIVE and state.released_eur == 3 * 18_000

    anniversary = add_years(starts, 3)
    await driver.sleep_until(anniversary + timedelta(hours=1))
    await driver.wait_for(lambda s: s.tranche(4).status is TrancheStatus.WITHHELD, "withheld")
    await driver.act(SubmitReport, pi_actor(), report_id="term1-year3", summary="year three")
    assert (await driver.state()).tranche(4).status is TrancheStatus.WITHHELD
    await driver.act(ReviewReport, DERCI, report_id="term1-year3", accept=True, reason="ok")
    await driver.wait_for(lambda s: s.tranche(4).status is TrancheStatus.RELEASED, "released")

    events = await stored(event_store, "IMP-IRL-Y3")
    assert events[0].type == "ProjectImported"
    paid = [e for e in events if e.type == "TrancheReleased"]
    assert [e.data.year for e in paid] == [4]  # nothing invented for the years before
    accepted = next(e for e in events if e.type == "ReportAccepted")
    assert paid[0].occurred_at >= accepted.occurred_at > anniversary
