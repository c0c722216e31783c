"""What each command does to a project: one handler a command, given the command, the
state and the policy, returns the facts to record or refuses with the rule's words.

Who may issue a command and in which phases are checked before its handler runs
(domain.declarations, domain.decider); a handler holds the rest of its rules.
"""

from __future__ import annotations

from collections.abc import Callable
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
from domain.instruments import CATALOG, EntryRoute, Instrument
from domain.partner_rules import conflict_of_interest, partner_findings
from domain.policy import CallWindow, Policy, iea_call_window
from domain.said import Eur, Listed, Said, said
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
        raise RuleViolation(
            "reason.required", said("reason: a reason is required to {to}", to=to), "reason"
        )


def _require_new(s: ProjectState) -> None:
    """A project is created once: by its submission, or by its import."""
    if s.phase is not Phase.NEW:
        raise IllegalTransition(
            "project.exists",
            said(
                "project {project_id} already exists (it is {phase})",
                project_id=s.project_id,
                phase=wording.phase(s.phase.value),
            ),
        )


def _check_application(app: Application, policy: Policy) -> Instrument:
    """The rules an application meets, submitted or imported: plain text, real countries,
    the instrument's partner rules, the requested amount within its range."""
    inst = CATALOG[app.instrument]
    _require_plain_text(app)
    _require_countries(app)
    findings = partner_findings(app)
    if findings:
        raise RuleViolation("partners", Listed(findings, ";"), "application.labs")
    policy.check_amount(
        inst, app.requested_eur, said("requested amount"), "application.requested_eur"
    )
    return inst


def submit_application(c: SubmitApplication, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_new(s)
    app = c.application
    inst = _check_application(app, policy)
    term_starts_at = None
    if inst.entry is EntryRoute.ANNUAL_CALL:
        if c.call is None or not c.call.is_open_at(c.at):
            raise RuleViolation(
                "call.closed",
                said(
                    "an {code} application is accepted only during DERCI's annual call; {when}",
                    code=inst.code,
                    when=_when_the_call_opens(c.call, c.at, policy),
                ),
            )
        term_starts_at = c.call.term_starts_at
        if policy.iea_call.envelope_eur is not None and app.institute is None:
            raise RuleViolation(
                "application.institute",
                said(
                    "institute: an {code} application names the CNRS institute that ranks it "
                    "in the call",
                    code=inst.code,
                ),
                "application.institute",
            )
    elif c.call is not None:
        raise RuleViolation(
            "entry.direct_contact",
            said(
                "{inst_code} starts by direct contact with DERCI and the institutes, not "
                "through a call",
                inst_code=inst.code,
            ),
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
    _require_new(s)
    _require_reason(c, said("import a project"))
    app = c.application
    inst = _check_application(app, policy)
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


def _when_the_call_opens(call: CallWindow | None, at: datetime, policy: Policy) -> Said:
    """When the call that refused, or the next one by the policy's calendar, is open."""
    if call is not None and at < call.opens_at:
        nxt = call
    else:
        nxt = iea_call_window(at.year, policy)
        if at > nxt.closes_at or (call is not None and nxt.year <= call.year):
            nxt = iea_call_window(max(at.year, call.year if call else 0) + 1, policy)
    opens, closes = wording.day(nxt.opens_at), wording.day(nxt.closes_at)
    if nxt.opens_at <= at:  # by the calendar the call is open, but none was announced
        return said(
            "the {year} call, from {opens} to {closes}, has not been opened",
            year=nxt.year,
            opens=opens,
            closes=closes,
        )
    following = said(
        "the next call opens on {opens} and closes on {closes}", opens=opens, closes=closes
    )
    if call is not None and at > call.closes_at:
        return said(
            "call {call_id} closed on {closed}; {following}",
            call_id=call.call_id,
            closed=wording.day(call.closes_at),
            following=following,
        )
    return following


def _require_plain_text(app: Application) -> None:
    for field, text, free in app.texts():
        problem = text_problem(text, free=free)
        if problem is not None:
            raise RuleViolation(
                "text.character", said("{field}: {problem}", field=field, problem=problem), field
            )


def _require_countries(app: Application) -> None:
    # a code that names no country would count as a foreign country in the partner rules
    for i, lab in enumerate(app.labs):
        if not is_country(lab.country):
            raise RuleViolation(
                "country.unknown",
                said(
                    "application.labs.{i}.country: {country} is not a country (an ISO 3166-1 "
                    "alpha-2 code, such as FR or BR)",
                    i=i,
                    country=lab.country,
                ),
                "application.labs",
            )


def check_eligibility(c: CheckEligibility, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("check eligibility"))
    assert s.application is not None
    # findings are recorded in the event as English text, as every recorded reason is
    findings: list[str] = [str(f) for f in partner_findings(s.application)]
    try:
        policy.check_amount(s.instrument, s.application.requested_eur, said("requested amount"))
    except RuleViolation as err:
        findings.append(str(err.message))
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


def _submitted(n: int) -> Said:
    if n == 0:
        return said("none has been submitted")
    if n == 1:
        return said("one has been submitted")
    return said("{n} have been submitted", n=wording.number(n))


def _require_before_deadline(c: CommandBase, s: ProjectState, what: str) -> None:
    assert s.evaluation_deadline is not None
    if c.at > s.evaluation_deadline:
        raise RuleViolation(
            "evaluation.deadline",
            said(
                "the evaluation deadline {day} has passed; {what} refused",
                day=_day(s.evaluation_deadline),
                what=what,
            ),
        )


def assign_reviewer(c: AssignReviewer, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_before_deadline(c, s, said("assignment"))
    assert s.application is not None
    if c.reviewer.id in s.reviewer_ids():
        raise IllegalTransition(
            "reviewer.duplicate",
            said("reviewer {reviewer_id} is already assigned", reviewer_id=c.reviewer.id),
            "reviewer_id",
        )
    coi = conflict_of_interest(s.application, c.reviewer, policy.coi_refuse_partner_country)
    if coi:
        raise RuleViolation("reviewer.conflict_of_interest", coi, "reviewer_id")
    return [("ReviewerAssigned", ReviewerAssignedData(reviewer=c.reviewer))]


def submit_review(c: SubmitReview, s: ProjectState, policy: Policy) -> list[Pending]:
    if s.reviewed_by(c.actor.id):
        raise IllegalTransition(
            "review.duplicate",
            said(
                "reviewer {actor_id} has already reviewed {project_id}",
                actor_id=c.actor.id,
                project_id=s.project_id,
            ),
        )
    _require_before_deadline(c, s, said("review"))
    policy.check_scores(c.scores)
    data = ReviewSubmittedData(
        reviewer_id=c.actor.id, scores=c.scores, recommendation=c.recommendation
    )
    return [("ReviewSubmitted", data)]


def record_reminder(c: RecordReminder, s: ProjectState, policy: Policy) -> list[Pending]:
    if s.phase is Phase.NEW or s.phase in FINAL_PHASES:
        raise IllegalTransition(
            "phase",
            said(
                "no reminder is sent for project {project_id}: it is {phase}",
                project_id=s.project_id,
                phase=wording.phase(s.phase.value),
            ),
        )
    if s.reminder_sent(c.key):
        raise IllegalTransition(
            "reminder.duplicate", said("reminder {key} was already sent", key=c.key)
        )
    data = ReminderSentData(
        kind=c.reminder, key=c.key, due_at=c.due_at, recipients=c.recipients, subject=c.subject
    )
    return [("ReminderSent", data)]


def decide_application(c: DecideApplication, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(
        c, said("approve the application") if c.approve else said("reject the application")
    )
    if s.call_id is not None and policy.iea_call.envelope_eur is not None and not c.call_closing:
        raise RuleViolation(
            "call.round",
            said(
                "You cannot decide the application alone: the applications of call {call_id} "
                "are decided together when DERCI closes the call",
                call_id=s.call_id,
            ),
        )
    in_round = s.call_id if c.call_closing else None
    if not c.approve:
        return [("ApplicationRejected", ApplicationRejectedData(call_id=in_round))]
    if c.awarded_eur is None:
        raise RuleViolation(
            "awarded_eur.required", said("awarded_eur: required to approve"), "awarded_eur"
        )
    policy.check_amount(s.instrument, c.awarded_eur, said("awarded amount"), "awarded_eur")
    assert s.application is not None
    policy.check_award(c.awarded_eur, s.application.requested_eur, "awarded_eur")
    if len(s.reviews) < policy.min_reviews_to_approve:
        raise RuleViolation(
            "evaluation.reviews",
            said(
                "approval needs at least {min_reviews_to_approve}; {submitted}",
                min_reviews_to_approve=wording.count(policy.min_reviews_to_approve, "review"),
                submitted=_submitted(len(s.reviews)),
            ),
        )
    if s.next_term_starts_at is not None:  # fixed by the IEA call
        if c.term_starts_at is not None and c.term_starts_at != s.next_term_starts_at:
            raise RuleViolation(
                "term_starts_at.fixed",
                said(
                    "term_starts_at: {instrument_code} projects of call {call_id} start on {day}",
                    instrument_code=s.instrument.code,
                    call_id=s.call_id,
                    day=_day(s.next_term_starts_at),
                ),
                "term_starts_at",
            )
        starts_at = s.next_term_starts_at
    else:
        starts_at = c.term_starts_at or c.at
        if starts_at < c.at:
            raise RuleViolation(
                "term_starts_at.past",
                said(
                    "term_starts_at: {instant} is before the decision ({instant2})",
                    instant=_instant(starts_at, c.at),
                    instant2=_instant(c.at, starts_at),
                ),
                "term_starts_at",
            )
    data = ApplicationApprovedData(
        awarded_eur=c.awarded_eur, term_starts_at=starts_at, call_id=in_round
    )
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


def _require_not_suspended(s: ProjectState, what: str | Callable[[], str]) -> None:
    """No automatic step runs on a suspended project; what fell due runs on resumption.
    `what` may be said only when it is needed (a function): automatic steps come here at
    every wake-up, and saying a message costs more than the check."""
    if s.suspended_since is not None:
        raise IllegalTransition(
            "project.suspended",
            said(
                "the project is suspended since {day}: {what} once it is resumed",
                day=_day(s.suspended_since),
                what=what if isinstance(what, str) else what(),
            ),
        )


def start_term(c: StartTerm, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_not_suspended(s, lambda: said("the next term starts"))
    if s.phase is Phase.ACTIVE and (
        s.renewal is None or s.renewal.status is not RenewalStatus.GRANTED
    ):
        raise IllegalTransition(
            "renewal.not_granted", said("a new term starts only after a granted renewal")
        )
    starts_at = s.next_term_starts_at
    assert starts_at is not None and s.awarded_eur is not None
    if c.at < starts_at:
        raise RuleViolation(
            "term.not_yet",
            said("the term starts on {day}; it is {day2}", day=_day(starts_at), day2=_day(c.at)),
        )
    number = s.term.number + 1 if s.term else 1
    years = s.instrument.term_years
    data = TermStartedData(
        term_number=number,
        starts_at=starts_at,
        ends_at=add_years(starts_at, years),
        awarded_eur=s.awarded_eur,
        tranches=plan_tranches(starts_at, years, s.awarded_eur),
        reports=plan_reports(number, starts_at, years, s.next_policy or policy),
    )
    return [*_lapsed_tranches(s), ("TermStarted", data)]


def _due_tranche(c: ReleaseTranche | WithholdTranche, s: ProjectState) -> Any:
    assert s.term is not None
    tranche = s.tranche(c.year)
    if tranche is None:
        raise RuleViolation(
            "tranche.unknown",
            said(
                "year: term {number} has tranches for years 1–{n_tranches}; got {year}",
                number=s.term.number,
                n_tranches=len(s.term.tranches),
                year=c.year,
            ),
        )
    if tranche.status is TrancheStatus.RELEASED:
        raise IllegalTransition(
            "tranche.released",
            said(
                "tranche {year} of term {number} is already released",
                year=c.year,
                number=s.term.number,
            ),
        )
    if c.at < tranche.due_at:
        raise RuleViolation(
            "tranche.not_due",
            said("tranche {year} falls due on {day}", year=c.year, day=_day(tranche.due_at)),
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
    _require_not_suspended(s, lambda: said("tranche {year} is paid", year=c.year))
    assert s.term is not None
    needed = _prerequisite_report(s, c.year)
    if needed is not None:
        report = s.report(needed)
        if report is None or report.status is not ReportStatus.ACCEPTED:
            status = wording.phase(report.status.value) if report else said("missing")
            raise RuleViolation(
                "tranche.report_required",
                said(
                    "tranche {year} is released only after report {needed} is accepted (it is "
                    "{status})",
                    year=c.year,
                    needed=needed,
                    status=status,
                ),
            )
    data = TrancheReleasedData(
        term_number=s.term.number, year=c.year, amount_eur=tranche.amount_eur
    )
    return [("TrancheReleased", data)]


def withhold_tranche(c: WithholdTranche, s: ProjectState, policy: Policy) -> list[Pending]:
    tranche = _due_tranche(c, s)
    _require_reason(c, said("withhold tranche {year}", year=c.year))
    _require_not_suspended(s, lambda: said("tranche {year} is judged", year=c.year))
    assert s.term is not None
    if tranche.status is TrancheStatus.WITHHELD:
        raise IllegalTransition(
            "tranche.withheld",
            said(
                "tranche {year} of term {number} is already withheld",
                year=c.year,
                number=s.term.number,
            ),
        )
    needed = _prerequisite_report(s, c.year)
    assert needed is not None  # WithholdTranche.year >= 2
    report = s.report(needed)
    if report is not None and report.status is ReportStatus.ACCEPTED:
        raise RuleViolation(
            "tranche.report_accepted",
            said(
                "report {needed} is accepted: tranche {year} must be released, not withheld",
                needed=needed,
                year=c.year,
            ),
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
        known = Listed((r.report_id for r in s.reports), ",") if s.reports else said("none")
        raise RuleViolation(
            "report.unknown",
            said(
                "report_id: unknown report {report_id}; known: {known}",
                report_id=repr(c.report_id),
                known=known,
            ),
            "report_id",
        )
    return report


def submit_report(c: SubmitReport, s: ProjectState, policy: Policy) -> list[Pending]:
    report = _known_report(c, s)
    if report.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        raise IllegalTransition(
            "report.already",
            said(
                "report {report_id} is already {status}",
                report_id=c.report_id,
                status=wording.phase(report.status.value),
            ),
        )
    if c.at < report.opens_at:
        raise RuleViolation(
            "report.too_early",
            said(
                "report {report_id} covers a year that starts on {day}",
                report_id=c.report_id,
                day=_day(report.opens_at),
            ),
        )
    return [("ReportSubmitted", ReportSubmittedData(report_id=c.report_id, summary=c.summary))]


def review_report(c: ReviewReport, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(
        c,
        said("accept report {report_id}", report_id=c.report_id)
        if c.accept
        else said("reject report {report_id}", report_id=c.report_id),
    )
    report = _known_report(c, s)
    if report.status is not ReportStatus.SUBMITTED:
        raise IllegalTransition(
            "report.not_submitted",
            said(
                "report {report_id} is {status}; only a submitted report is reviewed",
                report_id=c.report_id,
                status=wording.phase(report.status.value),
            ),
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
            said(
                "an {inst_code} is not renewable; at its end it may be followed by a "
                "successor {successor}",
                inst_code=inst.code,
                successor=inst.successor,
            ),
        )
    limit = policy.funding_for(inst.code).max_renewals
    if s.renewals_granted >= limit:
        raise RuleViolation(
            "renewal.limit",
            said("an {code} may not be renewed under its policy", code=inst.code)
            if limit == 0
            else said(
                "an {code} may be renewed at most {limit}; it has already been renewed {done}",
                code=inst.code,
                limit=wording.times(limit),
                done=wording.times(s.renewals_granted),
            ),
        )
    if s.renewal is not None and s.renewal.term_number == s.term.number:
        raise IllegalTransition(
            "renewal.already",
            said(
                "renewal of term {number} is already {status}",
                number=s.term.number,
                status=wording.phase(s.renewal.status.value),
            ),
        )
    opens = add_months(s.term.ends_at, -policy.renewal_window_months_before_end)
    if not opens <= c.at < s.term.ends_at:
        raise RuleViolation(
            "renewal.window",
            said(
                "renewal requests for term {number} are accepted from {day} until the "
                "term ends on {day2}; it is {day3}",
                number=s.term.number,
                day=_day(opens),
                day2=_day(s.term.ends_at),
                day3=_day(c.at),
            ),
        )
    policy.check_amount(inst, c.requested_eur, said("requested amount"), "requested_eur")
    data = RenewalRequestedData(term_number=s.term.number, requested_eur=c.requested_eur)
    return [("RenewalRequested", data)]


def decide_renewal(c: DecideRenewal, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("grant the renewal") if c.grant else said("refuse the renewal"))
    assert s.term is not None
    if s.renewal is None or s.renewal.status is not RenewalStatus.REQUESTED:
        raise IllegalTransition(
            "renewal.not_requested",
            said("no renewal request is pending for term {number}", number=s.term.number),
        )
    # a request made in time may be decided after the term's end: the project waits for it
    if not c.grant:
        return [("RenewalRefused", RenewalRefusedData(term_number=s.term.number))]
    if c.awarded_eur is None:
        raise RuleViolation(
            "awarded_eur.required", said("awarded_eur: required to grant a renewal"), "awarded_eur"
        )
    # the next term's policy: the version in force on its first day, when the application
    # found it
    term_policy = c.policy or policy
    term_policy.check_amount(s.instrument, c.awarded_eur, said("awarded amount"), "awarded_eur")
    term_policy.check_award(c.awarded_eur, s.renewal.requested_eur, "awarded_eur")
    data = RenewalGrantedData(term_number=s.term.number, awarded_eur=c.awarded_eur, policy=c.policy)
    return [("RenewalGranted", data)]


def close_project(c: CloseProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("close the project"))
    _require_not_suspended(s, "it closes")
    assert s.term is not None
    if c.at < s.term.ends_at:
        raise RuleViolation(
            "term.running",
            said("term {number} runs until {day}", number=s.term.number, day=_day(s.term.ends_at)),
        )
    if s.renewal is not None and s.renewal.status is RenewalStatus.GRANTED:
        raise IllegalTransition(
            "renewal.granted", said("the renewal is granted: the next term starts instead")
        )
    if s.renewal is not None and s.renewal.status is RenewalStatus.REQUESTED:
        raise IllegalTransition(
            "renewal.pending",
            said("the renewal requested for term {number} awaits a decision", number=s.term.number),
        )
    due = add_months(s.term.ends_at, policy.final_report_due_months_after_end)
    return [*_lapsed_tranches(s), ("ProjectClosed", ProjectClosedData(final_report_due_at=due))]


def terminate_project(c: TerminateProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("terminate the project"))
    return [("ProjectTerminated", ProjectTerminatedData())]


def link_successor(c: LinkSuccessor, s: ProjectState, policy: Policy) -> list[Pending]:
    inst = s.instrument
    if inst.successor is None:
        raise RuleViolation(
            "successor.not_allowed",
            said("{inst_code} is not followed up by a successor instrument", inst_code=inst.code),
        )
    if c.successor_instrument is not inst.successor:
        raise RuleViolation(
            "successor.instrument",
            said(
                "successor_instrument: an {inst_code} is followed up by an {successor}; "
                "got {successor_instrument}",
                inst_code=inst.code,
                successor=inst.successor,
                successor_instrument=c.successor_instrument,
            ),
            "successor_instrument",
        )
    if s.successor_project_id is not None:
        raise IllegalTransition(
            "successor.already",
            said(
                "successor {successor_project_id} is already linked",
                successor_project_id=s.successor_project_id,
            ),
        )
    if c.successor_project_id == s.project_id:
        raise RuleViolation(
            "successor.self", said("a project cannot succeed itself"), "successor_project_id"
        )
    closes = successor_link_closes_at(s, policy)
    if closes is not None and c.at > closes:
        raise IllegalTransition(
            "successor.window",
            said(
                "an {inst_code} may be linked to its successor until {date} "
                "({successor_link_months_after_end} months after its term)",
                inst_code=inst.code,
                date=closes.date(),
                successor_link_months_after_end=policy.successor_link_months_after_end,
            ),
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


def _eur(amount: int) -> Eur:
    return wording.eur(amount)


def amend_budget(c: AmendBudget, s: ProjectState, policy: Policy) -> list[Pending]:
    """The current term's budget changes: what is paid stays paid, and the tranches not yet
    paid (planned or withheld) share the rest, as a term's award is split."""
    _require_reason(c, said("change the budget"))
    term = s.term
    assert term is not None
    policy.check_amount(s.instrument, c.awarded_eur, said("awarded amount"), "awarded_eur")
    if c.awarded_eur == term.awarded_eur:
        raise RuleViolation(
            "budget.unchanged",
            said(
                "awarded_eur: the budget of term {number} is already {awarded_eur}",
                number=term.number,
                awarded_eur=_eur(term.awarded_eur),
            ),
            "awarded_eur",
        )
    unpaid = [
        t for t in term.tranches if t.status in (TrancheStatus.PLANNED, TrancheStatus.WITHHELD)
    ]
    if not unpaid:
        raise IllegalTransition(
            "budget.paid",
            said(
                "every tranche of term {number} is paid: its budget can no longer change",
                number=term.number,
            ),
        )
    paid = sum(t.amount_eur for t in term.tranches if t.status is TrancheStatus.RELEASED)
    if c.awarded_eur <= paid:
        raise RuleViolation(
            "budget.below_paid",
            said(
                "awarded_eur: term {number} has already paid {paid}; a budget of "
                "{awarded_eur} leaves nothing for its {n_unpaid}",
                number=term.number,
                paid=_eur(paid),
                awarded_eur=_eur(c.awarded_eur),
                n_unpaid=wording.count(len(unpaid), "unpaid tranche"),
            ),
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
    _require_reason(c, said("add a partner lab"))
    app = s.application
    assert app is not None
    if not is_country(c.lab_country):
        raise RuleViolation(
            "country.unknown",
            said(
                "lab_country: {lab_country} is not a country (an ISO 3166-1 alpha-2 code, "
                "such as FR or BR)",
                lab_country=c.lab_country,
            ),
            "lab_country",
        )
    if any(_same_name(lab.name, c.lab_name) for lab in app.labs):
        raise RuleViolation(
            "lab.duplicate",
            said(
                "lab_name: {lab_name} is already a partner lab of {project_id}",
                lab_name=c.lab_name,
                project_id=s.project_id,
            ),
            "lab_name",
        )
    if len(app.labs) >= MAX_LABS:
        raise RuleViolation(
            "lab.limit",
            said("lab_name: a project lists at most {MAX_LABS} partner labs", MAX_LABS=MAX_LABS),
            "lab_name",
        )
    lab = Lab(name=c.lab_name.strip(), country=c.lab_country, cnrs=c.lab_cnrs)
    findings = _new_findings(app, app.model_copy(update={"labs": (*app.labs, lab)}))
    if findings:
        raise RuleViolation(
            "partners",
            said(
                "{lab_name} cannot join the {instrument}: {join}",
                lab_name=lab.name,
                instrument=app.instrument.value,
                join=Listed(findings, ";"),
            ),
            "lab_name",
        )
    return [("PartnerLabAdded", PartnerLabAddedData(lab=lab))]


def remove_partner_lab(c: RemovePartnerLab, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("remove a partner lab"))
    app = s.application
    assert app is not None
    lab = next((lab for lab in app.labs if _same_name(lab.name, c.lab_name)), None)
    if lab is None:
        raise RuleViolation(
            "lab.unknown",
            said(
                "lab_name: {lab_name} is not a partner lab of {project_id}; its partner "
                "labs are {items}",
                lab_name=c.lab_name,
                project_id=s.project_id,
                items=wording.every(lab.name for lab in app.labs),
            ),
            "lab_name",
        )
    if _same_name(lab.name, app.coordinator.lab):
        raise RuleViolation(
            "lab.coordinator",
            said(
                "lab_name: {lab_name} is the coordinator's lab; replace the coordinator first",
                lab_name=lab.name,
            ),
            "lab_name",
        )
    rest = tuple(other for other in app.labs if other is not lab)
    findings = _new_findings(app, app.model_copy(update={"labs": rest}))
    if findings:
        raise RuleViolation(
            "partners",
            said(
                "{lab_name} cannot leave the {instrument}: {join}",
                lab_name=lab.name,
                instrument=app.instrument.value,
                join=Listed(findings, ";"),
            ),
            "lab_name",
        )
    return [("PartnerLabRemoved", PartnerLabRemovedData(lab=lab))]


def replace_coordinator(c: ReplaceCoordinator, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("replace the coordinator"))
    app = s.application
    assert app is not None
    if c.coordinator_id == app.coordinator.id:
        raise RuleViolation(
            "coordinator.same",
            said(
                "coordinator_id: {coordinator_id} is already the coordinator of {project_id}",
                coordinator_id=c.coordinator_id,
                project_id=s.project_id,
            ),
            "coordinator_id",
        )
    lab = next((lab for lab in app.cnrs_labs if _same_name(lab.name, c.coordinator_lab)), None)
    if lab is None:
        raise RuleViolation(
            "coordinator.lab",
            said(
                "coordinator_lab: the coordinator comes from a CNRS lab of the project "
                "({items}); got {coordinator_lab}",
                items=wording.every(lab.name for lab in app.cnrs_labs),
                coordinator_lab=c.coordinator_lab,
            ),
            "coordinator_lab",
        )
    coordinator = Person(
        id=c.coordinator_id, name=c.coordinator_name, email=c.coordinator_email, lab=lab.name
    )
    data = CoordinatorReplacedData(previous=app.coordinator, coordinator=coordinator)
    return [("CoordinatorReplaced", data)]


def change_location(c: ChangeLocation, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("change the location"))
    app = s.application
    assert app is not None
    code = app.instrument.value
    if not s.instrument.partners.location_required:
        raise RuleViolation(
            "location.none",
            said("an {code} has no identified location: only an IRL's location changes", code=code),
            "location",
        )
    location = c.location.strip()
    if app.location is not None and _same_name(app.location, location):
        raise RuleViolation(
            "location.unchanged",
            said(
                "location: the {code} is already located in {location}",
                code=code,
                location=app.location,
            ),
            "location",
        )
    return [("LocationChanged", LocationChangedData(previous=app.location, location=location))]


def extend_term(c: ExtendTerm, s: ProjectState, policy: Policy) -> list[Pending]:
    """The term runs longer without new funding: its end, the renewal window, the
    reminders and the final report follow the new end (all derived from it)."""
    _require_reason(c, said("extend the term"))
    term = s.term
    assert term is not None
    if s.renewal is not None and s.renewal.term_number == term.number:
        raise IllegalTransition(
            "extension.renewal",
            said(
                "the renewal of term {number} is {status}: the term is no longer extended",
                number=term.number,
                status=wording.phase(s.renewal.status.value),
            ),
        )
    if s.suspended_since is None and c.at >= term.ends_at:
        raise IllegalTransition(
            "extension.ended",
            said("term {number} ended on {day}", number=term.number, day=_day(term.ends_at)),
        )
    most = policy.max_extension_months
    if term.extended_months + c.months > most:
        left = most - term.extended_months
        if most == 0:
            message = said(
                "months: under its policy, an {code} term is not extended", code=s.instrument.code
            )
        elif term.extended_months == 0:
            message = said(
                "months: a term may be extended by at most {most}; got {months}",
                most=wording.count(most, "month"),
                months=c.months,
            )
        else:
            message = said(
                "months: a term may be extended by at most {most} in all; term {number} has "
                "already been extended by {done}, {more}",
                most=wording.count(most, "month"),
                number=term.number,
                done=wording.count(term.extended_months, "month"),
                more=said("so by {left} more at most", left=wording.count(left, "month"))
                if left
                else said("so no more"),
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
    _require_reason(c, said("suspend the project"))
    assert s.term is not None
    if s.suspended_since is not None:
        raise IllegalTransition(
            "suspension.already",
            said("the project is already suspended (since {day})", day=_day(s.suspended_since)),
        )
    return [("ProjectSuspended", ProjectSuspendedData(term_number=s.term.number))]


def resume_project(c: ResumeProject, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("resume the project"))
    assert s.term is not None
    if s.suspended_since is None:
        raise IllegalTransition("suspension.none", said("the project is not suspended"))
    data = ProjectResumedData(term_number=s.term.number, suspended_since=s.suspended_since)
    return [("ProjectResumed", data)]


def request_amendment(c: RequestAmendment, s: ProjectState, policy: Policy) -> list[Pending]:
    _require_reason(c, said("request an amendment"))
    if not c.details.strip():
        raise RuleViolation(
            "details.required", said("details: say what the amendment should change"), "details"
        )
    data = AmendmentRequestedData(amendment=c.amendment, details=c.details)
    return [("AmendmentRequested", data)]


def record_contribution(c: RecordContribution, s: ProjectState, policy: Policy) -> list[Pending]:
    """Co-funding beside CNRS's: a CNRS institute's, or a partner institution's of one of
    the project's partner countries, for a year of the project's terms, valued in euros at
    the rate stated (EUR at 1)."""
    _require_reason(c, said("record a contribution"))
    app = s.application
    assert app is not None
    first, last = _funded_years(s)
    if not first <= c.year <= last:
        raise RuleViolation(
            "contribution.year",
            said(
                "year: {project_id} is funded from {first} to {last}; got {year}",
                project_id=s.project_id,
                first=first,
                last=last,
                year=c.year,
            ),
            "year",
        )
    if c.source_kind is ContributionSource.INSTITUTE:
        if c.source not in {i.value for i in Institute}:
            raise RuleViolation(
                "contribution.institute",
                said(
                    "source: a CNRS institute is named by its code ({items}); got {source}",
                    items=wording.every(i.value for i in Institute),
                    source=c.source,
                ),
                "source",
            )
        if c.country not in (None, "FR"):
            raise RuleViolation(
                "contribution.country",
                said(
                    "country: a CNRS institute is in France (FR); got {country}", country=c.country
                ),
                "country",
            )
        country = "FR"
    else:
        partners = app.foreign_countries
        if c.country is None or c.country not in partners:
            raise RuleViolation(
                "contribution.country",
                said(
                    "country: a partner's contribution comes from a partner country of "
                    "{project_id} ({partners}); got {value}",
                    project_id=s.project_id,
                    partners=wording.every(partners),
                    value=c.country or "none",
                ),
                "country",
            )
        country = c.country
    if not is_currency(c.currency):
        raise RuleViolation(
            "contribution.currency",
            said(
                "currency: {currency} is not a currency (an ISO 4217 code, such as EUR or BRL)",
                currency=c.currency,
            ),
            "currency",
        )
    if c.eur_rate <= 0:
        raise RuleViolation(
            "contribution.rate",
            said("eur_rate: a rate is more than 0; got {eur_rate}", eur_rate=c.eur_rate),
            "eur_rate",
        )
    if c.currency == "EUR" and c.eur_rate != 1:
        raise RuleViolation(
            "contribution.rate",
            said("eur_rate: an amount in EUR is at rate 1; got {eur_rate}", eur_rate=c.eur_rate),
            "eur_rate",
        )
    if c.rate_date > c.at.date():
        raise RuleViolation(
            "contribution.rate_date",
            said(
                "rate_date: a rate is stated as known on a past day; {rate_date} is to come",
                rate_date=c.rate_date,
            ),
            "rate_date",
        )
    eur_value = int((c.amount * c.eur_rate).quantize(Decimal(1), ROUND_HALF_UP))
    if eur_value < 1:
        raise RuleViolation(
            "contribution.value",
            said(
                "eur_rate: {amount} {currency} at {eur_rate} is worth less than 1 EUR",
                amount=c.amount,
                currency=c.currency,
                eur_rate=c.eur_rate,
            ),
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
