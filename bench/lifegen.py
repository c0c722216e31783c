"""Realistic project lives, decided and folded in process by the pure domain.

Each life is driven the way the workflow and people would drive it: `domain.decider.decide`
for every command (a person's step or an automatic step of `domain.automation`, each at
its own business time), `domain.evolve.evolve` to fold the result. A life is the list of
its commands' events, one list per command: the unit the workflow appends at once.

The mix (seeded, so a run is repeatable): mostly long-lived IRLs renewed twice (15 years),
IRPs and IRNs renewed once, IEAs of two years often followed by an IRP, a few applications
rejected and a few projects terminated; one to three reviewers, some reviews late enough to
be reminded; annual reports mostly on time, some rejected then handed in again, some late
(the next tranche is withheld, overdue reminders go out monthly, it is released once the
report is accepted); some final reports late.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid5

from domain.actors import Actor, Role
from domain.application import Application, Lab, Person, Reviewer
from domain.automation import next_step
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
from domain.decider import decide
from domain.events import DomainEvent, Recommendation
from domain.evolve import evolve
from domain.instruments import CATALOG, InstrumentCode
from domain.policy import DEFAULT_POLICY, Policy, iea_call_window
from domain.state import FINAL_REPORT_ID, Phase, ProjectState, ReportStatus

NS = UUID("0b7f3c52-7d0e-4f4e-9a57-0c1d2e3f4a5b")

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


class LifeGen:
    """One project's life: commands decided against the folded state, in time order."""

    def __init__(self, project_id: str, policy: Policy = DEFAULT_POLICY) -> None:
        self.project_id = project_id
        self.policy = policy
        self.state = ProjectState()
        self.units: list[list[DomainEvent]] = []  # the events of each command
        self._ids: Iterator[int] = count()

    def _command_id(self) -> UUID:
        return uuid5(NS, f"{self.project_id}/{next(self._ids)}")

    def _apply(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.state = evolve(self.state, event)
        if events:
            self.units.append(events)

    def do(self, cls: type[Any], at: datetime, actor: Actor, **fields: Any) -> None:
        self.run_until(at)
        command = cls(command_id=self._command_id(), actor=actor, at=at, **fields)
        self._apply(decide(command, self.state, self.policy))

    def run_until(self, until: datetime) -> None:
        while (step := next_step(self.state, self.policy)) is not None and step.due_at <= until:
            command = step.build(self._command_id(), step.due_at)
            self._apply(decide(command, self.state, self.policy))

    @property
    def events(self) -> int:
        return sum(len(u) for u in self.units)


def _evaluate(life: LifeGen, at: datetime, rng: random.Random) -> datetime:
    """Reviewers assigned and reviewing; returns when the last review came in."""
    reviewers = rng.sample(REVIEWERS, rng.choice((2, 3, 3, 4)))
    for k, rev in enumerate(reviewers):
        life.do(AssignReviewer, at + timedelta(days=2 + k), INSTITUTE, reviewer=rev)
    # some reviewers wait for the reminders (14 and 3 days before the deadline)
    days = sorted(rng.choice((10, 20, 30, 48, 50, 58, 58)) for _ in reviewers)
    last = at
    for rev, day in zip(reviewers, days, strict=True):
        when = at + timedelta(days=day)
        last = max(last, when)
        life.do(
            SubmitReview,
            when,
            Actor(id=rev.id, role=Role.REVIEWER),
            scores={"science": rng.randint(3, 5), "partnership": rng.randint(2, 5)},
            recommendation=Recommendation.FUND,
        )
    return last


def _reports(life: LifeGen, until: datetime, pi: Actor, rng: random.Random, late_ok: bool) -> None:
    """Hand in every annual report due up to `until`: on time, rejected once, or late."""
    handled: set[str] = set()
    while True:
        s = life.state
        due = [
            r
            for r in s.reports
            if r.year is not None
            and r.status is ReportStatus.DUE
            and r.due_at <= until
            and r.report_id not in handled
        ]
        if not due:
            life.run_until(until)
            return
        r = min(due, key=lambda x: x.due_at)
        handled.add(r.report_id)
        assert s.term is not None
        # late only where the delay cannot run into the renewal window or the term's end
        lateable = late_ok and r.year is not None and r.year <= len(s.term.tranches) - 2
        fate = rng.random()
        if lateable and fate < 0.35:
            at = r.due_at + timedelta(days=rng.randint(40, 190))
            life.do(SubmitReport, at, pi, report_id=r.report_id, summary="activity report")
            life.do(
                ReviewReport,
                at + timedelta(days=7),
                DERCI,
                report_id=r.report_id,
                accept=True,
                reason="complete, if late",
            )
        elif fate < 0.6:
            at = r.due_at - timedelta(days=25)
            life.do(SubmitReport, at, pi, report_id=r.report_id, summary="activity report")
            life.do(
                ReviewReport,
                at + timedelta(days=5),
                DERCI,
                report_id=r.report_id,
                accept=False,
                reason="budget annex missing",
            )
            if rng.random() < 0.3:  # the annex sent is not the right one either
                life.do(
                    SubmitReport, at + timedelta(days=7), pi, report_id=r.report_id, summary="annex"
                )
                life.do(
                    ReviewReport,
                    at + timedelta(days=9),
                    DERCI,
                    report_id=r.report_id,
                    accept=False,
                    reason="annex unsigned",
                )
            life.do(
                SubmitReport,
                at + timedelta(days=12),
                pi,
                report_id=r.report_id,
                summary="activity report with budget annex",
            )
            life.do(
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
            life.do(SubmitReport, at, pi, report_id=r.report_id, summary="activity report")
            life.do(
                ReviewReport,
                at + timedelta(days=5),
                DERCI,
                report_id=r.report_id,
                accept=True,
                reason="activity as planned",
            )


def _final_report(life: LifeGen, pi: Actor, rng: random.Random) -> None:
    due = life.state.final_report_due_at
    assert due is not None
    at = due + timedelta(days=rng.choice((-20, -5, -5, 25)))
    life.do(SubmitReport, at, pi, report_id=FINAL_REPORT_ID, summary="final report")
    life.do(
        ReviewReport,
        at + timedelta(days=10),
        DERCI,
        report_id=FINAL_REPORT_ID,
        accept=True,
        reason="objectives met",
    )


def generate_life(n: int, seed: int = 0) -> LifeGen:
    """Project number `n` of a portfolio, decided from submission to its end."""
    rng = random.Random(f"{seed}/{n}")
    code = rng.choices([c for c, _ in MIX], weights=[w for _, w in MIX])[0]
    life = LifeGen(f"{code.value}-{n:05d}")
    app = application(code, n, rng)
    pi = Actor(id=app.coordinator.id, role=Role.COORDINATOR)
    year = rng.randint(2000, 2024)
    if code is InstrumentCode.IEA:
        call = iea_call_window(year, life.policy)
        submitted = call.opens_at + timedelta(days=rng.randint(0, 100), hours=rng.randint(8, 18))
        life.do(
            SubmitApplication, submitted, pi, project_id=life.project_id, application=app, call=call
        )
        start = call.closes_at + timedelta(seconds=1)
    else:
        submitted = datetime(year, 1, 1, 9, tzinfo=UTC) + timedelta(
            days=rng.randint(0, 360), hours=rng.randint(0, 9)
        )
        life.do(SubmitApplication, submitted, pi, project_id=life.project_id, application=app)
        start = submitted + timedelta(hours=1)
    reviewed = _evaluate(life, start, rng)
    decided = reviewed + timedelta(days=1)
    if rng.random() < 0.03:
        life.do(DecideApplication, decided, INSTITUTE, approve=False, reason="not a priority")
        return life
    award = rng.randrange(CATALOG[code].funding_min_eur, CATALOG[code].funding_max_eur + 1, 1000)
    starts = None if code is InstrumentCode.IEA else decided + timedelta(days=rng.randint(20, 90))
    life.do(
        DecideApplication,
        decided,
        INSTITUTE,
        approve=True,
        awarded_eur=award,
        term_starts_at=starts,
        reason="excellent reviews; strategic partnership",
    )
    life.run_until(starts or datetime(year + 1, 1, 1, tzinfo=UTC))
    assert life.state.phase is Phase.ACTIVE, life.state.phase
    terminate_in_term = 1 if rng.random() < 0.02 else None
    renewals = life.policy.funding_for(code).max_renewals
    while True:
        term = life.state.term
        assert term is not None
        if terminate_in_term == term.number:
            at = add_months(term.starts_at, rng.randint(6, 12 * CATALOG[code].term_years - 2))
            _reports(life, at, pi, rng, late_ok=False)
            life.do(TerminateProject, at, DERCI, reason="partner institution withdrew")
            return life
        if code is InstrumentCode.IEA and rng.random() < 0.5:
            link_at = add_months(term.ends_at, -4)
            _reports(life, link_at, pi, rng, late_ok=True)
            life.do(
                LinkSuccessor,
                link_at,
                DERCI,
                successor_project_id=f"IRP-{n:05d}-s",
                successor_instrument=InstrumentCode.IRP,
            )
        renew = life.state.renewals_granted < renewals and rng.random() < 0.97
        if renew:
            # some ask early, some only after the first renewal reminder (six months before)
            window = add_months(term.ends_at, -rng.choice((8, 5, 4)))
            _reports(life, window, pi, rng, late_ok=True)
            life.do(RequestRenewal, window, pi, requested_eur=award)
            granted = rng.random() < 0.95
            life.do(
                DecideRenewal,
                window + timedelta(days=20),
                INSTITUTE,
                grant=granted,
                awarded_eur=award if granted else None,
                reason="productive term" if granted else "priorities changed",
            )
            _reports(life, term.ends_at, pi, rng, late_ok=False)
            if granted:
                continue
        else:
            _reports(life, term.ends_at, pi, rng, late_ok=True)
        life.run_until(term.ends_at)
        assert life.state.phase is Phase.CLOSED, life.state.phase
        _final_report(life, pi, rng)
        life.run_until(life.state.final_report_due_at + timedelta(days=60))  # type: ignore[operator]
        assert life.state.lifecycle_complete
        return life
