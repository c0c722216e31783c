"""What the system does on its own, and when: tranches, reminders, term starts and ends.

The workflow asks for the next step, sleeps until it falls due, and executes it. Every step
is derived from the state alone, so a replayed or restarted workflow computes the same ones,
and a step already taken (a reminder sent, a tranche released) is never offered again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain.actors import SYSTEM
from domain.calendar import add_months
from domain.commands import (
    CheckEligibility,
    CloseProject,
    Command,
    RecordReminder,
    ReleaseTranche,
    StartTerm,
    WithholdTranche,
)
from domain.decider import decide
from domain.events import DomainEvent, ReminderKind
from domain.policy import Policy
from domain.said import said
from domain.state import (
    FINAL_REPORT_ID,
    Phase,
    ProjectState,
    RenewalStatus,
    Report,
    ReportStatus,
    TrancheStatus,
    governing,
)

Builder = Callable[[UUID, datetime], Command]


@dataclass(frozen=True, slots=True)
class Step:
    due_at: datetime
    label: str
    build: Builder  # (command id, now) -> the command to execute


def _reminder(
    due_at: datetime,
    kind: ReminderKind,
    key: str,
    deadline: datetime,
    recipients: tuple[str, ...],
    subject: str,
) -> Step:
    def build(command_id: UUID, now: datetime) -> Command:
        return RecordReminder(
            command_id=command_id,
            actor=SYSTEM,
            at=now,
            reminder=kind,
            key=key,
            due_at=deadline,
            recipients=recipients,
            subject=subject,
        )

    return Step(due_at=due_at, label=f"reminder {key}", build=build)


# What the rules find, in the order they list it: (due at, a function that makes the step,
# its arguments). A project just past its term's start waits for a tranche a year and a
# dozen reminders, and next_step, asked at every wake-up, returns one step: a tranche's or
# a reminder's step (a function and its label) is only made once it is returned.
_Entry = tuple[datetime, Callable[..., Step], tuple[Any, ...]]


def _step(step: Step) -> _Entry:
    """A step made already."""
    return step.due_at, _itself, (step,)


def _itself(step: Step) -> Step:
    return step


def _remind(
    due_at: datetime,
    kind: ReminderKind,
    key: str,
    deadline: datetime,
    recipients: tuple[str, ...],
    subject: str,
) -> _Entry:
    """A reminder found (see _reminder)."""
    return due_at, _reminder, (due_at, kind, key, deadline, recipients, subject)


def _made(entry: _Entry) -> Step:
    return entry[1](*entry[2])


def _release(year: int) -> Builder:
    def build(command_id: UUID, now: datetime) -> Command:
        return ReleaseTranche(command_id=command_id, actor=SYSTEM, at=now, year=year)

    return build


def _release_step(due_at: datetime, year: int) -> Step:
    return Step(due_at, f"release tranche {year}", _release(year))


# A step's reason is said when the step is taken, not each time the steps are listed: the
# workflow lists them at every wake-up, and saying a message was a third of that.


def _withhold(year: int, report_id: str, due_at: datetime) -> Builder:
    def build(command_id: UUID, now: datetime) -> Command:
        reason = said(
            "report {report} not accepted by the tranche's due date {day}",
            report=report_id,
            day=due_at.date().isoformat(),
        )
        return WithholdTranche(
            command_id=command_id, actor=SYSTEM, at=now, year=year, reason=reason
        )

    return build


def _withhold_step(due_at: datetime, year: int, report_id: str) -> Step:
    return Step(due_at, f"withhold tranche {year}", _withhold(year, report_id, due_at))


def _close(code: str, number: int, renewable: bool) -> Builder:
    def build(command_id: UUID, now: datetime) -> Command:
        reason = (
            said("{code} term {number} ended; not renewable", code=code, number=number)
            if not renewable
            else said(
                "{code} term {number} ended without a granted renewal", code=code, number=number
            )
        )
        return CloseProject(command_id=command_id, actor=SYSTEM, at=now, reason=reason)

    return build


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the rules below look up in a state, each indexed once a listing: the reminders
    sent (a set), the reports by id, and the moment before which a reminder's time has
    passed (_missed). A state holds tuples, and the listing asks of them for every tranche
    and every reminder it considers."""

    sent: frozenset[str]
    reports: dict[str, Report]
    since: datetime | None

    @staticmethod
    def of(s: ProjectState) -> _Seen:
        since = max((t for t in (s.resumed_at, s.imported_at) if t is not None), default=None)
        return _Seen(frozenset(s.reminders_sent), {r.report_id: r for r in s.reports}, since)

    def missed(self, due: datetime) -> bool:
        """A reminder that fell due while the project was suspended is not sent on
        resumption (its moment has passed); what fell due for the money (tranches) and the
        term's end do run then. Likewise a reminder whose moment came before the project
        was imported."""
        return self.since is not None and due < self.since


def _evaluation_steps(s: ProjectState, policy: Policy, seen: _Seen) -> list[_Entry]:
    assert s.evaluation_deadline is not None
    steps = []
    for a in s.assignments:
        if s.reviewed_by(a.reviewer.id):
            continue
        for days in policy.review_reminder_days_before_deadline:
            due = s.evaluation_deadline - timedelta(days=days)
            key = f"review:{a.reviewer.id}:{days}d"
            if due >= a.assigned_at and key not in seen.sent:
                steps.append(
                    _remind(
                        due,
                        ReminderKind.REVIEW_DUE,
                        key,
                        s.evaluation_deadline,
                        (a.reviewer.id,),
                        f"Your review of {s.project_id} is due on "
                        f"{s.evaluation_deadline.date().isoformat()}",
                    )
                )
    return steps


def _tranche_steps(s: ProjectState, policy: Policy, seen: _Seen) -> list[_Entry]:
    assert s.term is not None and s.application is not None
    coordinator = (s.application.coordinator.id,)
    steps: list[_Entry] = []
    for t in s.term.tranches:
        if t.status in (TrancheStatus.RELEASED, TrancheStatus.FORFEITED):
            continue
        prerequisite = (
            seen.reports.get(f"term{s.term.number}-year{t.year - 1}") if t.year > 1 else None
        )
        ready = prerequisite is None or prerequisite.status is ReportStatus.ACCEPTED
        year = t.year
        if ready:
            steps.append((t.due_at, _release_step, (t.due_at, year)))
        elif t.status is TrancheStatus.PLANNED:
            assert prerequisite is not None
            steps.append((t.due_at, _withhold_step, (t.due_at, year, prerequisite.report_id)))
        elif t.withheld_at is not None and t.awaiting_report_id is not None:
            for k in range(policy.overdue_reminders_max):
                key = f"overdue:{t.awaiting_report_id}:{k}"
                if key not in seen.sent:
                    due = t.withheld_at + timedelta(days=k * policy.overdue_reminder_every_days)
                    if seen.missed(due):
                        continue
                    steps.append(
                        _remind(
                            due,
                            ReminderKind.REPORT_OVERDUE,
                            key,
                            t.due_at,
                            coordinator,
                            f"Tranche {year} ({t.amount_eur} EUR) of {s.project_id} is withheld "
                            f"until report {t.awaiting_report_id} is accepted",
                        )
                    )
                    break  # one pending overdue reminder at a time
    return steps


def _report_steps(s: ProjectState, policy: Policy, seen: _Seen) -> list[_Entry]:
    assert s.application is not None
    coordinator = (s.application.coordinator.id,)
    closed = s.phase is Phase.CLOSED
    leads = [(days, timedelta(days=days)) for days in policy.report_reminder_days_before_due]
    steps = []
    for r in s.reports:
        if r.status is not ReportStatus.DUE and r.status is not ReportStatus.REJECTED:
            continue
        final = r.report_id == FINAL_REPORT_ID
        if final != closed:
            continue  # annual reports are chased while active, the final one once closed
        kind = ReminderKind.FINAL_REPORT_DUE if final else ReminderKind.REPORT_DUE
        subject = f"Report {r.report_id} of {s.project_id} is due on {r.due_at.date().isoformat()}"
        for days, lead in leads:
            due = r.due_at - lead
            if due < r.opens_at or seen.missed(due):
                continue
            key = f"report:{r.report_id}:{days}d"
            if key not in seen.sent:
                steps.append(_remind(due, kind, key, r.due_at, coordinator, subject))
    return steps


def _term_end_steps(s: ProjectState, policy: Policy, seen: _Seen) -> list[_Entry]:
    assert s.term is not None and s.application is not None
    inst = s.instrument
    term = s.term
    coordinator = (s.application.coordinator.id,)
    steps = []
    renewal_open = (
        inst.renewable
        and s.renewals_granted < policy.funding_for(inst.code).max_renewals
        and (s.renewal is None or s.renewal.term_number != term.number)
    )
    # an extended term is reminded of its new end: its own keys, for the lead times still
    # ahead when it was extended
    extended = f"+ext{term.extensions}" if term.extensions else ""
    end = term.ends_at.date().isoformat()
    for months in policy.renewal_reminder_months_before_end:
        due = add_months(term.ends_at, -months)
        if seen.missed(due) or (term.extended_at is not None and due < term.extended_at):
            continue
        if renewal_open:
            key = f"renewal:term{term.number}{extended}:{months}m"
            kind = ReminderKind.RENEWAL_WINDOW
            subject = f"{s.project_id} ends on {end}: request its renewal before then"
        elif s.renewal is None or s.renewal.term_number != term.number:
            key = f"term-ending:term{term.number}{extended}:{months}m"
            kind = ReminderKind.TERM_ENDING
            follow = f"; it may be followed by an {inst.successor}" if inst.successor else ""
            why = (
                f"has had its {s.renewals_granted} renewal"
                f"{'s' if s.renewals_granted > 1 else ''} (the most an {inst.code} may have)"
                if inst.renewable
                else "is not renewable"
            )
            subject = f"{s.project_id} ends on {end} and {why}{follow}"
        else:
            continue
        if key not in seen.sent:
            steps.append(_remind(due, kind, key, term.ends_at, coordinator, subject))

    if s.renewal is not None and s.renewal.status is RenewalStatus.REQUESTED:
        pass  # the term's end waits for the officers' decision on the renewal
    elif s.renewal is not None and s.renewal.status is RenewalStatus.GRANTED:
        step = Step(
            term.ends_at,
            f"start term {term.number + 1}",
            lambda cid, now: StartTerm(command_id=cid, actor=SYSTEM, at=now),
        )
        steps.append(_step(step))
    else:
        close = _close(inst.code, term.number, inst.renewable)
        steps.append(_step(Step(term.ends_at, "close at term end", close)))
    return steps


def scheduled_steps(state: ProjectState, policy: Policy) -> list[Step]:
    """Every automatic step the project is waiting for, earliest first."""
    entries = _entries(state, policy)
    entries.sort(key=_due)  # stable: steps due together stay in the rules' order
    return [_made(entry) for entry in entries]


def _due(entry: _Entry) -> datetime:
    return entry[0]


def _entries(state: ProjectState, policy: Policy) -> list[_Entry]:
    """The steps of scheduled_steps, in the order the rules list them."""
    s = state
    policy = governing(state, policy)
    steps: list[_Entry] = []
    if s.phase is Phase.SUBMITTED and s.eligibility_check_at is not None:
        step = Step(
            s.eligibility_check_at,
            "check eligibility",
            lambda cid, now: CheckEligibility(
                command_id=cid,
                actor=SYSTEM,
                at=now,
                reason=said("automatic check of the instrument's rules"),
            ),
        )
        steps.append(_step(step))
    elif s.phase is Phase.UNDER_EVALUATION:
        steps.extend(_evaluation_steps(s, policy, _Seen.of(s)))
    elif s.phase is Phase.APPROVED and s.next_term_starts_at is not None:
        step = Step(
            s.next_term_starts_at,
            "start term 1",
            lambda cid, now: StartTerm(command_id=cid, actor=SYSTEM, at=now),
        )
        steps.append(_step(step))
    elif s.phase is Phase.ACTIVE and s.suspended_since is not None:
        pass  # suspended: nothing runs, not even the term's end, until it is resumed
    elif s.phase is Phase.ACTIVE:
        seen = _Seen.of(s)
        steps.extend(_tranche_steps(s, policy, seen))
        steps.extend(_report_steps(s, policy, seen))
        steps.extend(_term_end_steps(s, policy, seen))
    elif s.phase is Phase.CLOSED:
        steps.extend(_report_steps(s, policy, _Seen.of(s)))
    return steps


def next_step(state: ProjectState, policy: Policy) -> Step | None:
    """The earliest of scheduled_steps: the first listed of those due first, as a stable
    sort puts it (min keeps the first of equals), without sorting the rest, and only its
    step made."""
    entries = _entries(state, policy)
    return _made(min(entries, key=_due)) if entries else None


class StepDecidedNothing(RuntimeError):
    """A due automatic step whose command the rules accept but which records nothing: it
    would stay due, and whoever drives the project (the workflow, the life in memory)
    would take it again forever. A defect of this module, never of the project."""


def decide_step(
    step: Step, state: ProjectState, policy: Policy, command_id: UUID, now: datetime
) -> list[DomainEvent]:
    """The events a due step decides, at `now`: at least one (StepDecidedNothing
    otherwise), so that taking due steps until none is due always ends."""
    events = decide(step.build(command_id, now), state, policy)
    if not events:
        raise StepDecidedNothing(f"automatic step {step.label} decided nothing")
    return events
