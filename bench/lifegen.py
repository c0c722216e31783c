"""Realistic project lives, decided and folded in process by the pure domain.

Each life is a script of the one life driver (`domain.life_script`): what its people do and
when, the automatic steps of `domain.automation` in between, played in memory
(`LifeInMemory`: `decide` and `evolve` for every command, each at its own business time).
A life is the list of its commands' events, one list per command (`units`): the unit the
workflow appends at once. The same script could be played against Temporal
(`collab.lives`).

The mix (seeded, so a run is repeatable): mostly long-lived IRLs renewed twice (15 years),
IRPs and IRNs renewed once, IEAs of two years often followed by an IRP, a few applications
rejected and a few projects terminated; one to three reviewers, some reviews late enough to
be reminded; annual reports mostly on time, some rejected then handed in again, some late
(the next tranche is withheld, overdue reminders go out monthly, it is released once the
report is accepted); some final reports late.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.actors import Actor, Role
from domain.application import Application, Lab, Person, Reviewer
from domain.calendar import add_months
from domain.commands import (
    AssignReviewer,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
    TerminateProject,
)
from domain.events import Recommendation
from domain.instruments import CATALOG, InstrumentCode
from domain.life_script import Act, LifeInMemory, Script, Seen, Wait
from domain.policy import DEFAULT_POLICY, Policy, iea_call_window
from domain.state import FINAL_REPORT_ID, Phase, ReportStatus

INSTITUTE = Actor(id="insu-officer", role=Role.INSTITUTE_OFFICER)
DERCI = Actor(id="derci-officer", role=Role.DERCI_OFFICER)

CNRS_LABS = [
    Lab(name=name, country="FR", cnrs=True)
    for name in (
        "LIG Grenoble (UMR 5217)",
        "IPGP Paris (UMR 7154)",
        "LAAS Toulouse (UPR 8001)",
        "CEREGE Aix (UMR 7330)",
        "ISEM Montpellier (UMR 5554)",
        "LPENS Paris (UMR 8023)",
        "IRAP Toulouse (UMR 5277)",
        "LOCEAN Paris (UMR 7159)",
    )
]
FRENCH_UNIVERSITY_LABS = [
    Lab(name="Université Lyon 1 ICBMS", country="FR"),
    Lab(name="Université de Strasbourg ISIS", country="FR"),
]
FOREIGN_LABS = {
    "BR": ["Universidade de São Paulo, IAG", "UNICAMP, Instituto de Geociências"],
    "JP": ["University of Tokyo, ISSP", "AIST Tsukuba, JRL", "Kyoto University, RIMS"],
    "ZA": ["University of Cape Town, Oceanography"],
    "CA": ["University of British Columbia, EOAS", "McGill Physics"],
    "IN": ["Indian Institute of Science, CAOS"],
    "MX": ["UNAM, Instituto de Geofísica"],
    "CL": ["Universidad de Chile, DGF"],
    "VN": ["USTH Hanoi"],
}
TOPICS = [
    "Amazonian hydrology",
    "quantum materials",
    "monsoon predictability",
    "humanoid robotics",
    "sub-Antarctic ocean fronts",
    "seismic hazard",
    "tropical biodiversity",
    "number theory",
    "plasma astrophysics",
    "urban heat islands",
]
REVIEWERS = [
    Reviewer(id=f"rev-{i:03d}", name=f"Reviewer {i}", lab=f"ETH Zurich group {i}", country="CH")
    for i in range(60)
]
# (instrument, weight): long-lived IRLs dominate, as in a mature portfolio
MIX = [(InstrumentCode.IRL, 0.82), (InstrumentCode.IRP, 0.07), (InstrumentCode.IRN, 0.06)]
MIX.append((InstrumentCode.IEA, 1 - sum(w for _, w in MIX)))


def _labs(code: InstrumentCode, rng: random.Random) -> tuple[Lab, ...]:
    countries = sorted(FOREIGN_LABS)
    if code is InstrumentCode.IEA:
        country = rng.choice(countries)
        foreign = [Lab(name=rng.choice(FOREIGN_LABS[country]), country=country)]
        return (rng.choice(CNRS_LABS), *foreign)
    french = rng.sample(CNRS_LABS, rng.randint(1, 3))
    if code is InstrumentCode.IRN and rng.random() < 0.5:
        french.append(rng.choice(FRENCH_UNIVERSITY_LABS))
    picked = {
        InstrumentCode.IRL: rng.sample(countries, 1),
        InstrumentCode.IRP: rng.sample(countries, rng.randint(1, 2)),
        InstrumentCode.IRN: rng.sample(countries, rng.randint(2, 4)),
    }[code]
    foreign = [Lab(name=name, country=c) for c in picked for name in FOREIGN_LABS[c]]
    if code is InstrumentCode.IRN and len(foreign) < 2:
        foreign = foreign * 2  # not reached: IRN picks at least two countries
    return (*french, *foreign)


def application(code: InstrumentCode, n: int, rng: random.Random) -> Application:
    labs = _labs(code, rng)
    pid = f"pi-{n:05d}"
    inst = CATALOG[code]
    fields: dict[str, Any] = {
        "instrument": code,
        "title": f"{inst.name} on {rng.choice(TOPICS)} #{n}",
        "coordinator": Person(
            id=pid, name=f"Coordinator {n}", email=f"{pid}@cnrs.example.fr", lab=labs[0].name
        ),
        "labs": labs,
        "requested_eur": rng.randrange(inst.funding_min_eur, inst.funding_max_eur + 1, 500),
    }
    if code is InstrumentCode.IRP:
        fields["prior_collaboration"] = "joint PhD supervision and co-authored papers"
    if code is InstrumentCode.IRL:
        fields["location"] = labs[-1].name
    return Application.model_validate(fields)


LifeGen = LifeInMemory  # one generated life: its state, its events command by command


def do(cls: type[Any], at: datetime, actor: Actor, **fields: Any) -> Act:
    """A person's step at `at` (the system first takes what it had due before)."""
    return Act(cls, actor, fields, at)


def _evaluate(at: datetime, rng: random.Random) -> Script[datetime]:
    """Reviewers assigned and reviewing; returns when the last review came in."""
    reviewers = rng.sample(REVIEWERS, rng.choice((2, 3, 3, 4)))
    for k, rev in enumerate(reviewers):
        yield do(AssignReviewer, at + timedelta(days=2 + k), INSTITUTE, reviewer=rev)
    # some reviewers wait for the reminders (14 and 3 days before the deadline)
    days = sorted(rng.choice((10, 20, 30, 48, 50, 58, 58)) for _ in reviewers)
    last = at
    for rev, day in zip(reviewers, days, strict=True):
        when = at + timedelta(days=day)
        last = max(last, when)
        yield do(
            SubmitReview,
            when,
            Actor(id=rev.id, role=Role.REVIEWER),
            scores={"science": rng.randint(3, 5), "partnership": rng.randint(2, 5)},
            recommendation=Recommendation.FUND,
        )
    return last


def _reports(until: datetime, pi: Actor, rng: random.Random, late_ok: bool) -> Script[None]:
    """Hand in every annual report due up to `until`: on time, rejected once, or late."""
    handled: set[str] = set()
    while True:
        s = (yield Wait()).state
        due = [
            r
            for r in s.reports
            if r.year is not None
            and r.status is ReportStatus.DUE
            and r.due_at <= until
            and r.report_id not in handled
        ]
        if not due:
            yield Wait(until)
            return
        r = min(due, key=lambda x: x.due_at)
        handled.add(r.report_id)
        assert s.term is not None
        # late only where the delay cannot run into the renewal window or the term's end
        lateable = late_ok and r.year is not None and r.year <= len(s.term.tranches) - 2
        fate = rng.random()
        if lateable and fate < 0.35:
            at = r.due_at + timedelta(days=rng.randint(40, 190))
            yield do(SubmitReport, at, pi, report_id=r.report_id, summary="activity report")
            yield do(
                ReviewReport,
                at + timedelta(days=7),
                DERCI,
                report_id=r.report_id,
                accept=True,
                reason="complete, if late",
            )
        elif fate < 0.6:
            at = r.due_at - timedelta(days=25)
            yield do(SubmitReport, at, pi, report_id=r.report_id, summary="activity report")
            yield do(
                ReviewReport,
                at + timedelta(days=5),
                DERCI,
                report_id=r.report_id,
                accept=False,
                reason="budget annex missing",
            )
            if rng.random() < 0.3:  # the annex sent is not the right one either
                yield do(
                    SubmitReport, at + timedelta(days=7), pi, report_id=r.report_id, summary="annex"
                )
                yield do(
                    ReviewReport,
                    at + timedelta(days=9),
                    DERCI,
                    report_id=r.report_id,
                    accept=False,
                    reason="annex unsigned",
                )
            yield do(
                SubmitReport,
                at + timedelta(days=12),
                pi,
                report_id=r.report_id,
                summary="activity report with budget annex",
            )
            yield do(
                ReviewReport,
                at + timedelta(days=18),
                DERCI,
                report_id=r.report_id,
                accept=True,
                reason="complete",
            )
        else:
            # half hand it in during the last week, after the second reminder
            at = r.due_at - timedelta(days=rng.choice((2, 3, 5, 6, 10, 15, 20, 25)))
            yield do(SubmitReport, at, pi, report_id=r.report_id, summary="activity report")
            yield do(
                ReviewReport,
                at + timedelta(days=5),
                DERCI,
                report_id=r.report_id,
                accept=True,
                reason="activity as planned",
            )


def _final_report(pi: Actor, rng: random.Random) -> Script[Seen]:
    due = (yield Wait()).state.final_report_due_at
    assert due is not None
    at = due + timedelta(days=rng.choice((-20, -5, -5, 25)))
    yield do(SubmitReport, at, pi, report_id=FINAL_REPORT_ID, summary="final report")
    return (
        yield do(
            ReviewReport,
            at + timedelta(days=10),
            DERCI,
            report_id=FINAL_REPORT_ID,
            accept=True,
            reason="objectives met",
        )
    )


def portfolio_life(n: int, seed: int = 0, policy: Policy = DEFAULT_POLICY) -> Script[Seen]:
    """The script of project number `n` of a portfolio, from submission to its end."""
    rng = random.Random(f"{seed}/{n}")
    code = rng.choices([c for c, _ in MIX], weights=[w for _, w in MIX])[0]
    project_id = project_id_of(n, seed)
    app = application(code, n, rng)
    pi = Actor(id=app.coordinator.id, role=Role.COORDINATOR)
    year = rng.randint(2000, 2024)
    if code is InstrumentCode.IEA:
        call = iea_call_window(year, policy)
        submitted = call.opens_at + timedelta(days=rng.randint(0, 100), hours=rng.randint(8, 18))
        yield do(
            SubmitApplication, submitted, pi, project_id=project_id, application=app, call=call
        )
        start = call.closes_at + timedelta(seconds=1)
    else:
        submitted = datetime(year, 1, 1, 9, tzinfo=UTC) + timedelta(
            days=rng.randint(0, 360), hours=rng.randint(0, 9)
        )
        yield do(SubmitApplication, submitted, pi, project_id=project_id, application=app)
        start = submitted + timedelta(hours=1)
    reviewed = yield from _evaluate(start, rng)
    decided = reviewed + timedelta(days=1)
    if rng.random() < 0.03:
        return (
            yield do(DecideApplication, decided, INSTITUTE, approve=False, reason="not a priority")
        )
    # at most what was asked: an award above the request is refused (domain.policy)
    award = rng.randrange(CATALOG[code].funding_min_eur, app.requested_eur + 1, 1000)
    starts = None if code is InstrumentCode.IEA else decided + timedelta(days=rng.randint(20, 90))
    yield do(
        DecideApplication,
        decided,
        INSTITUTE,
        approve=True,
        awarded_eur=award,
        term_starts_at=starts,
        reason="excellent reviews; strategic partnership",
    )
    seen = yield Wait(starts or datetime(year + 1, 1, 1, tzinfo=UTC))
    assert seen.state.phase is Phase.ACTIVE, seen.state.phase
    terminate_in_term = 1 if rng.random() < 0.02 else None
    renewals = policy.funding_for(code).max_renewals
    while True:
        term = (yield Wait()).state.term
        assert term is not None
        if terminate_in_term == term.number:
            at = add_months(term.starts_at, rng.randint(6, 12 * CATALOG[code].term_years - 2))
            yield from _reports(at, pi, rng, late_ok=False)
            return (yield do(TerminateProject, at, DERCI, reason="partner institution withdrew"))
        if code is InstrumentCode.IEA and rng.random() < 0.5:
            link_at = add_months(term.ends_at, -4)
            yield from _reports(link_at, pi, rng, late_ok=True)
            yield do(
                LinkSuccessor,
                link_at,
                DERCI,
                successor_project_id=f"IRP-{n:05d}-s",
                successor_instrument=InstrumentCode.IRP,
            )
        renew = (yield Wait()).state.renewals_granted < renewals and rng.random() < 0.97
        if renew:
            # some ask early, some only after the first renewal reminder (six months before)
            window = add_months(term.ends_at, -rng.choice((8, 5, 4)))
            yield from _reports(window, pi, rng, late_ok=True)
            yield do(RequestRenewal, window, pi, requested_eur=award)
            granted = rng.random() < 0.95
            yield do(
                DecideRenewal,
                window + timedelta(days=20),
                INSTITUTE,
                grant=granted,
                awarded_eur=award if granted else None,
                reason="productive term" if granted else "priorities changed",
            )
            yield from _reports(term.ends_at, pi, rng, late_ok=False)
            if granted:
                continue
        else:
            yield from _reports(term.ends_at, pi, rng, late_ok=True)
        seen = yield Wait(term.ends_at)
        assert seen.state.phase is Phase.CLOSED, seen.state.phase
        yield from _final_report(pi, rng)
        due = (yield Wait()).state.final_report_due_at
        assert due is not None
        seen = yield Wait(due + timedelta(days=60))
        assert seen.state.lifecycle_complete
        return seen


def project_id_of(n: int, seed: int = 0) -> str:
    rng = random.Random(f"{seed}/{n}")
    code = rng.choices([c for c, _ in MIX], weights=[w for _, w in MIX])[0]
    return f"{code.value}-{n:05d}"


def generate_life(n: int, seed: int = 0) -> LifeGen:
    """Project number `n` of a portfolio, decided in memory from submission to its end."""
    life = LifeGen(project_id_of(n, seed))
    life.play(portfolio_life(n, seed, life.policy))
    return life
