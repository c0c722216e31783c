"""What each command does to a project: one handler a command, given the command, the
state and the policy, returns the facts to record or refuses with the rule's words.

Who may issue a command and in which phases are checked before its handler runs
(domain.declarations, domain.decider); a handler holds the rest of its rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain import wording
from domain.application import MAX_LABS, Application, Lab, Person
from domain.calendar import add_months, add_years
from domain.commands import (
    AddPartnerLab,
    AmendBudget,
    AssignReviewer,
    ChangeLocation,
    CheckEligibility,
    CloseProject,
    CommandBase,
    DecideApplication,
    DecideRenewal,
    ExtendTerm,
    ImportProject,
    LinkSuccessor,
    RecordContribution,
    RecordReminder,
    ReleaseTranche,
    RemovePartnerLab,
    ReplaceCoordinator,
    RequestAmendment,
    RequestRenewal,
    ResumeProject,
    ReviewReport,
    StartTerm,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
    SuspendProject,
    TerminateProject,
    WithholdTranche,
)
from domain.countries import is_country
from domain.currencies import is_currency
from domain.errors import IllegalTransition, RuleViolation
from domain.events import (
    AmendmentRequestedData,
    ApplicationApprovedData,
    ApplicationDeclaredIneligibleData,
    ApplicationRejectedData,
    ApplicationSubmittedData,
    BudgetAmendedData,
    ContributionRecordedData,
    ContributionSource,
    CoordinatorReplacedData,
    EligibilityConfirmedData,
    LocationChangedData,
    PartnerLabAddedData,
    PartnerLabRemovedData,
    ProjectClosedData,
    ProjectImportedData,
    ProjectResumedData,
    ProjectSuspendedData,
    ProjectTerminatedData,
    ReminderSentData,
    RenewalGrantedData,
    RenewalRefusedData,
    RenewalRequestedData,
    ReportAcceptedData,
    ReportRejectedData,
    ReportSubmittedData,
    ReviewerAssignedData,
    ReviewSubmittedData,
    SuccessorLinkedData,
    TermExtendedData,
    TermStartedData,
    TrancheForfeitedData,
    TranchePlan,
    TrancheReleasedData,
    TrancheWithheldData,
)
from domain.imports import check_past
from domain.institutes import Institute
from domain.instruments import CATALOG, EntryRoute
from domain.partner_rules import conflict_of_interest, partner_findings
from domain.policy import CallWindow, Policy, iea_call_window
from domain.state import (
    FINAL_PHASES,
    Phase,
    ProjectState,
    RenewalStatus,
    ReportStatus,
    TrancheStatus,
    annual_report_id,
)
from domain.term_plan import plan_reports, plan_tranches, split_award
from domain.text import text_problem

Pending = tuple[str, Any]  # (event type, payload)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _instant(moment: datetime, other: datetime) -> str:
    """The day alone reads best, unless both moments share it: then the time tells them apart."""
    if moment.date() != other.date():
        return _day(moment)
    return moment.isoformat(timespec="seconds")


def _require_reason(command: CommandBase, to: str) -> None:
    """`to`: what the reason justifies, in words ("reject the application")."""
    if not (command.reason or "").strip():
        raise RuleViolation("reason.required", f"reason: a reason is required to {to}", "reason")


def submit_application(c: SubmitApplication, s: ProjectState, policy: Policy) -> list[Pending]:
    if s.phase is not Phase.NEW:
        raise IllegalTransition(
            "project.exists",
            f"project {s.project_id} already exists (it is {wording.phase(s.phase.value)})",
        )
    app = c.application
    inst = CATALOG[app.instrument]
    _require_plain_text(app)
    _require_countries(app)
    findings = partner_findings(app)
    if findings:
        raise RuleViolation("partners", "; ".join(findings), "application.labs")
    policy.check_amount(inst, app.requested_eur, "requested amount", "application.requested_eur")
    term_starts_at = None
    if inst.entry is EntryRoute.ANNUAL_CALL:
        if c.call is None or not c.call.is_open_at(c.at):
            raise RuleViolation(
                "call.closed",
                f"an {inst.code} application is accepted only during DERCI's annual call; "
                + _when_the_call_opens(c.call, c.at, policy),
            )
        term_starts_at = c.call.term_starts_at
    elif c.call is not None:
        raise RuleViolation(
            "entry.direct_contact",
            f"{inst.code} starts by direct contact with DERCI and the institutes, "
            "not through a call",
        )
    return [
        (
            "ApplicationSubmitted",
            ApplicationSubmittedData(
                application=app,
                call_id=c.call.call_id if c.call else None,
                call_closes_at=c.call.closes_at if c.call else None,
                term_starts_at=term_starts_at,
                policy=policy,  # the read side shows the project by the policy it runs with
            ),
        )
    ]


def import_project(c: ImportProject, s: ProjectState, policy: Policy) -> list[Pending]:
    """A project running before the service knew it: its application checked as a
    submission's is (but for the call, long closed), its past as domain.imports checks it,
    its current term planned as a term start plans it."""
    if s.phase is not Phase.NEW:
        raise IllegalTransition(
            "project.exists",
            f"project {s.project_id} already exists (it is {wording.phase(s.phase.value)})",
        )
    _require_reason(c, "import a project")
    app = c.application
    inst = CATALOG[app.instrument]
    _require_plain_text(app)
    _require_countries(app)
    findings = partner_findings(app)
    if findings:
        raise RuleViolation("partners", "; ".join(findings), "application.labs")
    policy.check_amount(inst, app.requested_eur, "requested amount", "application.requested_eur")
    past = c.imported
    check_past(app, past, policy, c.at)
    starts_at, years = past.term_starts_at, inst.term_years
    data = ProjectImportedData(
        application=app,
        past=past,
        source=c.source,
        policy=policy,
        term_number=past.term_number,
        starts_at=starts_at,
        ends_at=add_years(starts_at, years),
        tranches=plan_tranches(starts_at, years, past.awarded_eur),
        reports=plan_reports(past.term_number, starts_at, years, policy),
    )
    return [("ProjectImported", data)]


def _when_the_call_opens(call: CallWindow | None, at: datetime, policy: Policy) -> str:
    """When the call that refused, or the next one by the policy's calendar, is open."""
    if call is not None and at < call.opens_at:
        nxt = call
    else:
        nxt = iea_call_window(at.year, policy)
        if at > nxt.closes_at or (call is not None and nxt.year <= call.year):
            nxt = iea_call_window(max(at.year, call.year if call else 0) + 1, policy)
    opens, closes = wording.day(nxt.opens_at), wording.day(nxt.closes_at)
    closed = ""
    if call is not None and at > call.closes_at:
        closed = f"call {call.call_id} closed on {wording.day(call.closes_at)}; "
    if nxt.opens_at <= at:  # by the calendar the call is open, but none was announced
        return f"the {nxt.year} call, from {opens} to {closes}, has not been opened"
    return f"{closed}the next call opens on {opens} and closes on {closes}"


def _require_plain_text(app: Application) -> None:
    for field, text, free in app.texts():
        problem = text_problem(text, free=free)
        if problem is not None:
            raise RuleViolation("text.character", f"{field}: {problem}", field)


def _require_countries(app: Application) -> None:
    # a code that names no country would count as a foreign country in the partner rules
    for i, lab in enumerate(app.labs):
        if not is_country(lab.country):
            raise RuleViolation(
                "country.unknown",
                f"application.labs.{i}.country: {lab.country} is not a country "
                "(an ISO 3166-1 alpha-2 code, such as FR or BR)",
                "application.labs",
            )


def check_eligibility(c: CheckEligibility, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "check eligibility")
    assert s.application is not None
    findings = partner_findings(s.application)
    try:
        policy.check_amount(s.instrument, s.application.requested_eur, "requested amount")
    except RuleViolation as err:
        findings.append(err.message)
    findings.extend(f for f in c.findings if f.strip())
    if findings:
        return [
            (
                "ApplicationDeclaredIneligible",
                ApplicationDeclaredIneligibleData(findings=tuple(findings)),
            )
        ]
    deadline = c.at + timedelta(days=policy.evaluation_period_days)
    return [("EligibilityConfirmed", EligibilityConfirmedData(evaluation_deadline=deadline))]


def _submitted(n: int) -> str:
    if n == 0:
        return "none has been submitted"
    return f"{wording.number(n)} {'has' if n == 1 else 'have'} been submitted"


def _require_before_deadline(c: CommandBase, s: ProjectState, what: str) -> None:
    assert s.evaluation_deadline is not None
    if c.at > s.evaluation_deadline:
        raise RuleViolation(
            "evaluation.deadline",
            f"the evaluation deadline {_day(s.evaluation_deadline)} has passed; {what} refused",
        )


def assign_reviewer(c: AssignReviewer, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_before_deadline(c, s, "assignment")
    assert s.application is not None
    if c.reviewer.id in s.reviewer_ids():
        raise IllegalTransition(
            "reviewer.duplicate", f"reviewer {c.reviewer.id} is already assigned", "reviewer_id"
        )
    coi = conflict_of_interest(s.application, c.reviewer, policy.coi_refuse_partner_country)
    if coi:
        raise RuleViolation("reviewer.conflict_of_interest", coi, "reviewer_id")
    return [("ReviewerAssigned", ReviewerAssignedData(reviewer=c.reviewer))]


def submit_review(c: SubmitReview, s: ProjectState, policy: Policy) -> list[Pending]:
    if s.reviewed_by(c.actor.id):
        raise IllegalTransition(
            "review.duplicate", f"reviewer {c.actor.id} has already reviewed {s.project_id}"
        )
    _require_before_deadline(c, s, "review")
    policy.check_scores(c.scores)
    data = ReviewSubmittedData(
        reviewer_id=c.actor.id, scores=c.scores, recommendation=c.recommendation
    )
    return [("ReviewSubmitted", data)]


def record_reminder(c: RecordReminder, s: ProjectState, policy: Policy) -> list[Pending]:
    if s.phase is Phase.NEW or s.phase in FINAL_PHASES:
        raise IllegalTransition(
            "phase",
            f"no reminder is sent for project {s.project_id}: it is {wording.phase(s.phase.value)}",
        )
    if s.reminder_sent(c.key):
        raise IllegalTransition("reminder.duplicate", f"reminder {c.key} was already sent")
    data = ReminderSentData(
        kind=c.reminder, key=c.key, due_at=c.due_at, recipients=c.recipients, subject=c.subject
    )
    return [("ReminderSent", data)]


def decide_application(c: DecideApplication, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, f"{'approve' if c.approve else 'reject'} the application")
    if not c.approve:
        return [("ApplicationRejected", ApplicationRejectedData())]
    if c.awarded_eur is None:
        raise RuleViolation(
            "awarded_eur.required", "awarded_eur: required to approve", "awarded_eur"
        )
    policy.check_amount(s.instrument, c.awarded_eur, "awarded amount", "awarded_eur")
    assert s.application is not None
    policy.check_award(c.awarded_eur, s.application.requested_eur, "awarded_eur")
    if len(s.reviews) < policy.min_reviews_to_approve:
        raise RuleViolation(
            "evaluation.reviews",
            f"approval needs at least "
            f"{wording.count(policy.min_reviews_to_approve, 'review')}; "
            f"{_submitted(len(s.reviews))}",
        )
    if s.next_term_starts_at is not None:  # fixed by the IEA call
        if c.term_starts_at is not None and c.term_starts_at != s.next_term_starts_at:
            raise RuleViolation(
                "term_starts_at.fixed",
                f"term_starts_at: {s.instrument.code} projects of call {s.call_id} start on "
                f"{_day(s.next_term_starts_at)}",
                "term_starts_at",
            )
        starts_at = s.next_term_starts_at
    else:
        starts_at = c.term_starts_at or c.at
        if starts_at < c.at:
            raise RuleViolation(
                "term_starts_at.past",
                f"term_starts_at: {_instant(starts_at, c.at)} is before the decision "
                f"({_instant(c.at, starts_at)})",
                "term_starts_at",
            )
    data = ApplicationApprovedData(awarded_eur=c.awarded_eur, term_starts_at=starts_at)
    return [("ApplicationApproved", data)]


def _lapsed_tranches(s: ProjectState) -> list[Pending]:
    """Tranches still withheld when their term ends are forfeited, each recorded."""
    if s.term is None:
        return []
    return [
        (
            "TrancheForfeited",
            TrancheForfeitedData(
                term_number=s.term.number,
                year=t.year,
                amount_eur=t.amount_eur,
                awaiting_report_id=t.awaiting_report_id or "",
            ),
        )
        for t in s.term.tranches
        if t.status is TrancheStatus.WITHHELD
    ]


def _require_not_suspended(s: ProjectState, what: str) -> None:
    """No automatic step runs on a suspended project; what fell due runs on resumption."""
    if s.suspended_since is not None:
        raise IllegalTransition(
            "project.suspended",
            f"the project is suspended since {_day(s.suspended_since)}: {what} once it is resumed",
        )


def start_term(c: StartTerm, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_not_suspended(s, "the next term starts")
    if s.phase is Phase.ACTIVE and (
        s.renewal is None or s.renewal.status is not RenewalStatus.GRANTED
    ):
        raise IllegalTransition(
            "renewal.not_granted", "a new term starts only after a granted renewal"
        )
    starts_at = s.next_term_starts_at
    assert starts_at is not None and s.awarded_eur is not None
    if c.at < starts_at:
        raise RuleViolation(
            "term.not_yet", f"the term starts on {_day(starts_at)}; it is {_day(c.at)}"
        )
    number = s.term.number + 1 if s.term else 1
    years = s.instrument.term_years
    data = TermStartedData(
        term_number=number,
        starts_at=starts_at,
        ends_at=add_years(starts_at, years),
        awarded_eur=s.awarded_eur,
        tranches=plan_tranches(starts_at, years, s.awarded_eur),
        reports=plan_reports(number, starts_at, years, policy),
    )
    return [*_lapsed_tranches(s), ("TermStarted", data)]


def _due_tranche(c: ReleaseTranche | WithholdTranche, s: ProjectState) -> Any:
    assert s.term is not None
    tranche = s.tranche(c.year)
    if tranche is None:
        raise RuleViolation(
            "tranche.unknown",
            f"year: term {s.term.number} has tranches for years 1–{len(s.term.tranches)}; "
            f"got {c.year}",
        )
    if tranche.status is TrancheStatus.RELEASED:
        raise IllegalTransition(
            "tranche.released", f"tranche {c.year} of term {s.term.number} is already released"
        )
    if c.at < tranche.due_at:
        raise RuleViolation(
            "tranche.not_due", f"tranche {c.year} falls due on {_day(tranche.due_at)}"
        )
    return tranche


def _prerequisite_report(s: ProjectState, year: int) -> str | None:
    """The report that must be accepted before tranche `year` is paid, if any."""
    if year < 2:
        return None
    assert s.term is not None
    return annual_report_id(s.term.number, year - 1)


def release_tranche(c: ReleaseTranche, s: ProjectState, policy: Policy) -> list[Pending]:
    tranche = _due_tranche(c, s)
    _require_not_suspended(s, f"tranche {c.year} is paid")
    assert s.term is not None
    needed = _prerequisite_report(s, c.year)
    if needed is not None:
        report = s.report(needed)
        if report is None or report.status is not ReportStatus.ACCEPTED:
            status = report.status.value if report else "missing"
            raise RuleViolation(
                "tranche.report_required",
                f"tranche {c.year} is released only after report {needed} is accepted "
                f"(it is {status})",
            )
    data = TrancheReleasedData(
        term_number=s.term.number, year=c.year, amount_eur=tranche.amount_eur
    )
    return [("TrancheReleased", data)]


def withhold_tranche(c: WithholdTranche, s: ProjectState, policy: Policy) -> list[Pending]:
    tranche = _due_tranche(c, s)
    _require_reason(c, f"withhold tranche {c.year}")
    _require_not_suspended(s, f"tranche {c.year} is judged")
    assert s.term is not None
    if tranche.status is TrancheStatus.WITHHELD:
        raise IllegalTransition(
            "tranche.withheld", f"tranche {c.year} of term {s.term.number} is already withheld"
        )
    needed = _prerequisite_report(s, c.year)
    assert needed is not None  # WithholdTranche.year >= 2
    report = s.report(needed)
    if report is not None and report.status is ReportStatus.ACCEPTED:
        raise RuleViolation(
            "tranche.report_accepted",
            f"report {needed} is accepted: tranche {c.year} must be released, not withheld",
        )
    data = TrancheWithheldData(
        term_number=s.term.number,
        year=c.year,
        amount_eur=tranche.amount_eur,
        awaiting_report_id=needed,
    )
    return [("TrancheWithheld", data)]


def _known_report(c: SubmitReport | ReviewReport, s: ProjectState) -> Any:
    report = s.report(c.report_id)
    if report is None:
        known = ", ".join(r.report_id for r in s.reports) or "none"
        raise RuleViolation(
            "report.unknown",
            f"report_id: unknown report {c.report_id!r}; known: {known}",
            "report_id",
        )
    return report


def submit_report(c: SubmitReport, s: ProjectState, policy: Policy) -> list[Pending]:
    report = _known_report(c, s)
    if report.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        raise IllegalTransition(
            "report.already", f"report {c.report_id} is already {report.status.value}"
        )
    if c.at < report.opens_at:
        raise RuleViolation(
            "report.too_early",
            f"report {c.report_id} covers a year that starts on {_day(report.opens_at)}",
        )
    return [("ReportSubmitted", ReportSubmittedData(report_id=c.report_id, summary=c.summary))]


def review_report(c: ReviewReport, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, f"{'accept' if c.accept else 'reject'} report {c.report_id}")
    report = _known_report(c, s)
    if report.status is not ReportStatus.SUBMITTED:
        raise IllegalTransition(
            "report.not_submitted",
            f"report {c.report_id} is {report.status.value}; only a submitted report is reviewed",
        )
    if c.accept:
        return [("ReportAccepted", ReportAcceptedData(report_id=c.report_id))]
    return [("ReportRejected", ReportRejectedData(report_id=c.report_id))]


def request_renewal(c: RequestRenewal, s: ProjectState, policy: Policy) -> list[Pending]:
    inst = s.instrument
    assert s.term is not None
    if not inst.renewable:
        raise RuleViolation(
            "renewal.not_renewable",
            f"an {inst.code} is not renewable; at its end it may be followed by a "
            f"successor {inst.successor}",
        )
    limit = policy.funding_for(inst.code).max_renewals
    if s.renewals_granted >= limit:
        raise RuleViolation(
            "renewal.limit",
            f"an {inst.code} may not be renewed under its policy"
            if limit == 0
            else f"an {inst.code} may be renewed at most {wording.times(limit)}; "
            f"it has already been renewed {wording.times(s.renewals_granted)}",
        )
    if s.renewal is not None and s.renewal.term_number == s.term.number:
        raise IllegalTransition(
            "renewal.already",
            f"renewal of term {s.term.number} is already {s.renewal.status.value}",
        )
    opens = add_months(s.term.ends_at, -policy.renewal_window_months_before_end)
    if not opens <= c.at < s.term.ends_at:
        raise RuleViolation(
            "renewal.window",
            f"renewal requests for term {s.term.number} are accepted from {_day(opens)} "
            f"until the term ends on {_day(s.term.ends_at)}; it is {_day(c.at)}",
        )
    policy.check_amount(inst, c.requested_eur, "requested amount", "requested_eur")
    data = RenewalRequestedData(term_number=s.term.number, requested_eur=c.requested_eur)
    return [("RenewalRequested", data)]


def decide_renewal(c: DecideRenewal, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, f"{'grant' if c.grant else 'refuse'} the renewal")
    assert s.term is not None
    if s.renewal is None or s.renewal.status is not RenewalStatus.REQUESTED:
        raise IllegalTransition(
            "renewal.not_requested", f"no renewal request is pending for term {s.term.number}"
        )
    # a request made in time may be decided after the term's end: the project waits for it
    if not c.grant:
        return [("RenewalRefused", RenewalRefusedData(term_number=s.term.number))]
    if c.awarded_eur is None:
        raise RuleViolation(
            "awarded_eur.required", "awarded_eur: required to grant a renewal", "awarded_eur"
        )
    policy.check_amount(s.instrument, c.awarded_eur, "awarded amount", "awarded_eur")
    policy.check_award(c.awarded_eur, s.renewal.requested_eur, "awarded_eur")
    data = RenewalGrantedData(term_number=s.term.number, awarded_eur=c.awarded_eur)
    return [("RenewalGranted", data)]


def close_project(c: CloseProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "close the project")
    _require_not_suspended(s, "it closes")
    assert s.term is not None
    if c.at < s.term.ends_at:
        raise RuleViolation(
            "term.running", f"term {s.term.number} runs until {_day(s.term.ends_at)}"
        )
    if s.renewal is not None and s.renewal.status is RenewalStatus.GRANTED:
        raise IllegalTransition(
            "renewal.granted", "the renewal is granted: the next term starts instead"
        )
    if s.renewal is not None and s.renewal.status is RenewalStatus.REQUESTED:
        raise IllegalTransition(
            "renewal.pending",
            f"the renewal requested for term {s.term.number} awaits a decision",
        )
    due = add_months(s.term.ends_at, policy.final_report_due_months_after_end)
    return [*_lapsed_tranches(s), ("ProjectClosed", ProjectClosedData(final_report_due_at=due))]


def terminate_project(c: TerminateProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "terminate the project")
    return [("ProjectTerminated", ProjectTerminatedData())]


def link_successor(c: LinkSuccessor, s: ProjectState, policy: Policy) -> list[Pending]:
    inst = s.instrument
    if inst.successor is None:
        raise RuleViolation(
            "successor.not_allowed", f"{inst.code} is not followed up by a successor instrument"
        )
    if c.successor_instrument is not inst.successor:
        raise RuleViolation(
            "successor.instrument",
            f"successor_instrument: an {inst.code} is followed up by an {inst.successor}; "
            f"got {c.successor_instrument}",
            "successor_instrument",
        )
    if s.successor_project_id is not None:
        raise IllegalTransition(
            "successor.already", f"successor {s.successor_project_id} is already linked"
        )
    if c.successor_project_id == s.project_id:
        raise RuleViolation(
            "successor.self", "a project cannot succeed itself", "successor_project_id"
        )
    closes = successor_link_closes_at(s, policy)
    if closes is not None and c.at > closes:
        raise IllegalTransition(
            "successor.window",
            f"an {inst.code} may be linked to its successor until {closes.date()} "
            f"({policy.successor_link_months_after_end} months after its term)",
        )
    data = SuccessorLinkedData(
        successor_project_id=c.successor_project_id, successor_instrument=c.successor_instrument
    )
    return [("SuccessorLinked", data)]


def successor_link_closes_at(s: ProjectState, policy: Policy) -> datetime | None:
    """Until when this project may still be linked to its successor: None when it cannot
    (no successor instrument, already linked, never ran a term)."""
    if s.application is None or s.instrument.successor is None or s.term is None:
        return None
    if s.successor_project_id is not None:
        return None
    return add_months(s.term.ends_at, policy.successor_link_months_after_end)


# --- amendments: what was approved changes, by an officer, with a reason ---------------------


def _eur(amount: int) -> str:
    return f"{amount:,} EUR"


def amend_budget(c: AmendBudget, s: ProjectState, policy: Policy) -> list[Pending]:
    """The current term's budget changes: what is paid stays paid, and the tranches not yet
    paid (planned or withheld) share the rest, as a term's award is split."""
    _require_reason(c, "change the budget")
    term = s.term
    assert term is not None
    policy.check_amount(s.instrument, c.awarded_eur, "awarded amount", "awarded_eur")
    if c.awarded_eur == term.awarded_eur:
        raise RuleViolation(
            "budget.unchanged",
            f"awarded_eur: the budget of term {term.number} is already {_eur(term.awarded_eur)}",
            "awarded_eur",
        )
    unpaid = [
        t for t in term.tranches if t.status in (TrancheStatus.PLANNED, TrancheStatus.WITHHELD)
    ]
    if not unpaid:
        raise IllegalTransition(
            "budget.paid",
            f"every tranche of term {term.number} is paid: its budget can no longer change",
        )
    paid = sum(t.amount_eur for t in term.tranches if t.status is TrancheStatus.RELEASED)
    if c.awarded_eur <= paid:
        raise RuleViolation(
            "budget.below_paid",
            f"awarded_eur: term {term.number} has already paid {_eur(paid)}; a budget of "
            f"{_eur(c.awarded_eur)} leaves nothing for its "
            f"{wording.count(len(unpaid), 'unpaid tranche')}",
            "awarded_eur",
        )
    amounts = split_award(c.awarded_eur - paid, len(unpaid))
    plans = tuple(
        TranchePlan(year=t.year, due_at=t.due_at, amount_eur=amount)
        for t, amount in zip(unpaid, amounts, strict=True)
    )
    data = BudgetAmendedData(
        term_number=term.number,
        previous_eur=term.awarded_eur,
        awarded_eur=c.awarded_eur,
        tranches=plans,
    )
    return [("BudgetAmended", data)]


def _new_findings(before: Application, after: Application) -> list[str]:
    """The partner rules `after` breaks that `before` did not (a project approved under
    older rules is not refused an amendment for what it already was)."""
    known = set(partner_findings(before))
    return [f for f in partner_findings(after) if f not in known]


def _same_name(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def add_partner_lab(c: AddPartnerLab, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "add a partner lab")
    app = s.application
    assert app is not None
    if not is_country(c.lab_country):
        raise RuleViolation(
            "country.unknown",
            f"lab_country: {c.lab_country} is not a country "
            "(an ISO 3166-1 alpha-2 code, such as FR or BR)",
            "lab_country",
        )
    if any(_same_name(lab.name, c.lab_name) for lab in app.labs):
        raise RuleViolation(
            "lab.duplicate",
            f"lab_name: {c.lab_name} is already a partner lab of {s.project_id}",
            "lab_name",
        )
    if len(app.labs) >= MAX_LABS:
        raise RuleViolation(
            "lab.limit", f"lab_name: a project lists at most {MAX_LABS} partner labs", "lab_name"
        )
    lab = Lab(name=c.lab_name.strip(), country=c.lab_country, cnrs=c.lab_cnrs)
    findings = _new_findings(app, app.model_copy(update={"labs": (*app.labs, lab)}))
    if findings:
        raise RuleViolation(
            "partners",
            f"{lab.name} cannot join the {app.instrument.value}: {'; '.join(findings)}",
            "lab_name",
        )
    return [("PartnerLabAdded", PartnerLabAddedData(lab=lab))]


def remove_partner_lab(c: RemovePartnerLab, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "remove a partner lab")
    app = s.application
    assert app is not None
    lab = next((lab for lab in app.labs if _same_name(lab.name, c.lab_name)), None)
    if lab is None:
        raise RuleViolation(
            "lab.unknown",
            f"lab_name: {c.lab_name} is not a partner lab of {s.project_id}; its partner labs "
            f"are {wording.every(lab.name for lab in app.labs)}",
            "lab_name",
        )
    if _same_name(lab.name, app.coordinator.lab):
        raise RuleViolation(
            "lab.coordinator",
            f"lab_name: {lab.name} is the coordinator's lab; replace the coordinator first",
            "lab_name",
        )
    rest = tuple(other for other in app.labs if other is not lab)
    findings = _new_findings(app, app.model_copy(update={"labs": rest}))
    if findings:
        raise RuleViolation(
            "partners",
            f"{lab.name} cannot leave the {app.instrument.value}: {'; '.join(findings)}",
            "lab_name",
        )
    return [("PartnerLabRemoved", PartnerLabRemovedData(lab=lab))]


def replace_coordinator(c: ReplaceCoordinator, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "replace the coordinator")
    app = s.application
    assert app is not None
    if c.coordinator_id == app.coordinator.id:
        raise RuleViolation(
            "coordinator.same",
            f"coordinator_id: {c.coordinator_id} is already the coordinator of {s.project_id}",
            "coordinator_id",
        )
    lab = next((lab for lab in app.cnrs_labs if _same_name(lab.name, c.coordinator_lab)), None)
    if lab is None:
        raise RuleViolation(
            "coordinator.lab",
            f"coordinator_lab: the coordinator comes from a CNRS lab of the project "
            f"({wording.every(lab.name for lab in app.cnrs_labs)}); got {c.coordinator_lab}",
            "coordinator_lab",
        )
    coordinator = Person(
        id=c.coordinator_id, name=c.coordinator_name, email=c.coordinator_email, lab=lab.name
    )
    data = CoordinatorReplacedData(previous=app.coordinator, coordinator=coordinator)
    return [("CoordinatorReplaced", data)]


def change_location(c: ChangeLocation, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "change the location")
    app = s.application
    assert app is not None
    code = app.instrument.value
    if not s.instrument.partners.location_required:
        raise RuleViolation(
            "location.none",
            f"an {code} has no identified location: only an IRL's location changes",
            "location",
        )
    location = c.location.strip()
    if app.location is not None and _same_name(app.location, location):
        raise RuleViolation(
            "location.unchanged",
            f"location: the {code} is already located in {app.location}",
            "location",
        )
    return [("LocationChanged", LocationChangedData(previous=app.location, location=location))]


def extend_term(c: ExtendTerm, s: ProjectState, policy: Policy) -> list[Pending]:
    """The term runs longer without new funding: its end, the renewal window, the
    reminders and the final report follow the new end (all derived from it)."""
    _require_reason(c, "extend the term")
    term = s.term
    assert term is not None
    if s.renewal is not None and s.renewal.term_number == term.number:
        raise IllegalTransition(
            "extension.renewal",
            f"the renewal of term {term.number} is {s.renewal.status.value}: "
            "the term is no longer extended",
        )
    if s.suspended_since is None and c.at >= term.ends_at:
        raise IllegalTransition(
            "extension.ended", f"term {term.number} ended on {_day(term.ends_at)}"
        )
    most = policy.max_extension_months
    if term.extended_months + c.months > most:
        if most == 0:
            message = f"months: under its policy, an {s.instrument.code} term is not extended"
        elif term.extended_months == 0:
            message = (
                f"months: a term may be extended by at most {wording.count(most, 'month')}; "
                f"got {c.months}"
            )
        else:
            left = most - term.extended_months
            message = (
                f"months: a term may be extended by at most {wording.count(most, 'month')} "
                f"in all; term {term.number} has already been extended by "
                f"{wording.count(term.extended_months, 'month')}, "
                + (f"so by {wording.count(left, 'month')} more at most" if left else "so no more")
            )
        raise RuleViolation("extension.limit", message, "months")
    data = TermExtendedData(
        term_number=term.number,
        months=c.months,
        previous_ends_at=term.ends_at,
        ends_at=add_months(term.ends_at, c.months),
    )
    return [("TermExtended", data)]


def suspend_project(c: SuspendProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "suspend the project")
    assert s.term is not None
    if s.suspended_since is not None:
        raise IllegalTransition(
            "suspension.already",
            f"the project is already suspended (since {_day(s.suspended_since)})",
        )
    return [("ProjectSuspended", ProjectSuspendedData(term_number=s.term.number))]


def resume_project(c: ResumeProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "resume the project")
    assert s.term is not None
    if s.suspended_since is None:
        raise IllegalTransition("suspension.none", "the project is not suspended")
    data = ProjectResumedData(term_number=s.term.number, suspended_since=s.suspended_since)
    return [("ProjectResumed", data)]


def request_amendment(c: RequestAmendment, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, "request an amendment")
    if not c.details.strip():
        raise RuleViolation(
            "details.required", "details: say what the amendment should change", "details"
        )
    data = AmendmentRequestedData(amendment=c.amendment, details=c.details)
    return [("AmendmentRequested", data)]


def record_contribution(c: RecordContribution, s: ProjectState, policy: Policy) -> list[Pending]:
    """Co-funding beside CNRS's: a CNRS institute's, or a partner institution's of one of
    the project's partner countries, for a year of the project's terms, valued in euros at
    the rate stated (EUR at 1)."""
    _require_reason(c, "record a contribution")
    app = s.application
    assert app is not None
    first, last = _funded_years(s)
    if not first <= c.year <= last:
        raise RuleViolation(
            "contribution.year",
            f"year: {s.project_id} is funded from {first} to {last}; got {c.year}",
            "year",
        )
    if c.source_kind is ContributionSource.INSTITUTE:
        if c.source not in {i.value for i in Institute}:
            raise RuleViolation(
                "contribution.institute",
                f"source: a CNRS institute is named by its code "
                f"({wording.every(i.value for i in Institute)}); got {c.source}",
                "source",
            )
        if c.country not in (None, "FR"):
            raise RuleViolation(
                "contribution.country",
                f"country: a CNRS institute is in France (FR); got {c.country}",
                "country",
            )
        country = "FR"
    else:
        partners = app.foreign_countries
        if c.country is None or c.country not in partners:
            raise RuleViolation(
                "contribution.country",
                f"country: a partner's contribution comes from a partner country of "
                f"{s.project_id} ({wording.every(partners)}); got {c.country or 'none'}",
                "country",
            )
        country = c.country
    if not is_currency(c.currency):
        raise RuleViolation(
            "contribution.currency",
            f"currency: {c.currency} is not a currency (an ISO 4217 code, such as EUR or BRL)",
            "currency",
        )
    if c.eur_rate <= 0:
        raise RuleViolation(
            "contribution.rate", f"eur_rate: a rate is more than 0; got {c.eur_rate}", "eur_rate"
        )
    if c.currency == "EUR" and c.eur_rate != 1:
        raise RuleViolation(
            "contribution.rate",
            f"eur_rate: an amount in EUR is at rate 1; got {c.eur_rate}",
            "eur_rate",
        )
    if c.rate_date > c.at.date():
        raise RuleViolation(
            "contribution.rate_date",
            f"rate_date: a rate is stated as known on a past day; {c.rate_date} is to come",
            "rate_date",
        )
    eur_value = int((c.amount * c.eur_rate).quantize(Decimal(1), ROUND_HALF_UP))
    if eur_value < 1:
        raise RuleViolation(
            "contribution.value",
            f"eur_rate: {c.amount} {c.currency} at {c.eur_rate} is worth less than 1 EUR",
            "eur_rate",
        )
    data = ContributionRecordedData(
        year=c.year,
        source_kind=c.source_kind,
        source=c.source.strip(),
        country=country,
        amount=c.amount,
        currency=c.currency,
        eur_rate=c.eur_rate,
        rate_date=c.rate_date,
        rate_source=c.rate_source.strip(),
        eur_value=eur_value,
    )
    return [("ContributionRecorded", data)]


def _funded_years(s: ProjectState) -> tuple[int, int]:
    """The calendar years of the project's terms, the first to the current (or the one a
    decision has fixed): what a contribution may be for."""
    years = s.instrument.term_years
    if s.term is not None:
        return s.term.starts_at.year - (s.term.number - 1) * years, s.term.ends_at.year
    assert s.next_term_starts_at is not None  # approved: the decision fixed the start
    return s.next_term_starts_at.year, s.next_term_starts_at.year + years
