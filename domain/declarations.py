"""Every command, declared once: its handler, who may issue it, in which phases, and for a
person's step its input, its address and how it is offered. The decider, the role table,
the open steps, the API's endpoints, the pages' forms and the CLI's subcommands are all
read from here (tests/test_declarations.py checks that nothing is missing).

A new command: its input in domain.inputs, its command in domain.commands, its handler in
domain.handlers, one entry below (with its `action`, the words refusals name it by), and its
labels in web.i18n."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain import handlers
from domain.actors import Role
from domain.application import Reviewer
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
from domain.events import AmendmentKind, ContributionSource, Recommendation
from domain.inputs import (
    AddLabInput,
    AmendmentRequestInput,
    BudgetInput,
    ContributionInput,
    CoordinatorInput,
    DecisionInput,
    ExtensionInput,
    LocationInput,
    RemoveLabInput,
    RenewalDecisionInput,
    RenewalInput,
    ReportInput,
    ReportReviewInput,
    ResumptionInput,
    ReviewerInput,
    ReviewInput,
    StepInput,
    SubmitInput,
    SuccessorInput,
    SuspensionInput,
    TerminationInput,
)
from domain.institutes import Institute
from domain.policy import Policy
from domain.said import said
from domain.state import Phase, ProjectState

Handler = Callable[[Any, ProjectState, Policy], list[handlers.Pending]]
# neutral input a step is tried with to know whether it is open now (domain.open_steps)
Samples = Callable[[ProjectState, Policy], Iterator[dict[str, Any]]]

OFFICERS = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER})
AUTOMATIC = frozenset({Role.SYSTEM, Role.DERCI_OFFICER})
COORDINATOR = frozenset({Role.COORDINATOR})
_SAMPLE = "sample"


@dataclass(frozen=True)
class PersonStep:
    """How a person takes a step. `name` is the CLI subcommand (two words, "amend budget",
    group kinds under one subcommand: `collab amend PROJECT budget ...`); `path` the API's address
    (POST), whose placeholders other than project_id are command fields; `cli` renames a
    field on the command line (a name without dashes is positional); `verdict` gives the
    two words of the one yes/no field; `from_file`: the CLI reads the input from a file."""

    name: str
    input: type[StepInput]
    path: str
    samples: Samples
    cli: Mapping[str, str] = field(default_factory=dict)
    verdict: tuple[str, str] | None = None
    from_file: bool = False
    created: bool = False  # the step creates its project (201)

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(k for k in re.findall(r"{(\w+)}", self.path) if k != "project_id")

    @property
    def on_project(self) -> bool:
        return "{project_id}" in self.path


@dataclass(frozen=True)
class Declaration:
    command: type[CommandBase]
    handler: Handler
    roles: frozenset[Role]
    # phases that accept it, in the order refusals list them; None: its handler judges
    phases: tuple[Phase, ...] | None
    person: PersonStep | None = None  # None: only the system takes it
    # what the step does, in the words refusals use: "You cannot request a renewal now"
    action: str = field(kw_only=True)

    @property
    def name(self) -> str:
        return self.command.__name__

    @property
    def label(self) -> str:
        """The step's English name, as the pages title it: "Request a renewal"."""
        return self.action[:1].upper() + self.action[1:]


def _one(**fields: Any) -> Callable[[ProjectState, Policy], Iterator[dict[str, Any]]]:
    def samples(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
        yield dict(fields)

    return samples


def _nothing(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    return iter(())


def _reviewer_sample(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    yield {"reviewer": Reviewer(id=_SAMPLE, name=_SAMPLE, lab=_SAMPLE, country="ZZ")}


def _review_sample(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    yield {"scores": {policy.review_criteria[0]: 3}, "recommendation": Recommendation.FUND}


def _each_report(**fields: Any) -> Samples:
    def samples(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
        for report in state.reports:
            yield {"report_id": report.report_id, **fields}

    return samples


def _lowest_request(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    yield {"requested_eur": policy.funding_for(state.instrument.code).funding_min_eur}


def _successor_sample(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    successor = state.instrument.successor
    if successor is not None:
        yield {
            "successor_project_id": f"{state.project_id}-successor",
            "successor_instrument": successor,
            "reason": _SAMPLE,
        }


def _budget_samples(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    funding = policy.funding_for(state.instrument.code)
    for amount in (funding.funding_min_eur, funding.funding_max_eur):
        yield {"awarded_eur": amount, "reason": _SAMPLE}


def _lab_to_add(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    yield {"lab_name": _SAMPLE, "lab_country": "FR", "lab_cnrs": True, "reason": _SAMPLE}


def _each_lab(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    if state.application is not None:
        for lab in state.application.labs:
            yield {"lab_name": lab.name, "reason": _SAMPLE}


def _coordinator_sample(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    if state.application is not None:
        for lab in state.application.cnrs_labs[:1]:
            yield {
                "coordinator_id": _SAMPLE,
                "coordinator_name": _SAMPLE,
                "coordinator_email": "sample@example.org",
                "coordinator_lab": lab.name,
                "reason": _SAMPLE,
            }


def _contribution_sample(state: ProjectState, policy: Policy) -> Iterator[dict[str, Any]]:
    start = state.term.starts_at if state.term is not None else state.next_term_starts_at
    if start is not None:
        yield {
            "year": start.year,
            "source_kind": ContributionSource.INSTITUTE,
            "source": Institute.CNRS_PHYSIQUE.value,
            "amount": 5000,
            "currency": "EUR",
            "eur_rate": Decimal(1),
            "rate_date": date(2000, 1, 1),
            "rate_source": _SAMPLE,
            "reason": _SAMPLE,
        }


_UNDER_EVALUATION = (Phase.UNDER_EVALUATION,)
_ACTIVE = (Phase.ACTIVE,)
_REPORTING = (Phase.ACTIVE, Phase.CLOSED)

DECLARATIONS: tuple[Declaration, ...] = (
    Declaration(
        SubmitApplication,
        handlers.submit_application,
        frozenset({Role.COORDINATOR, Role.DERCI_OFFICER}),
        None,
        PersonStep("submit", SubmitInput, "/projects", _nothing, from_file=True, created=True),
        action=said("submit an application"),
    ),
    Declaration(
        CheckEligibility,
        handlers.check_eligibility,
        OFFICERS | {Role.SYSTEM},
        (Phase.SUBMITTED,),
        action=said("check eligibility"),
    ),
    Declaration(
        AssignReviewer,
        handlers.assign_reviewer,
        OFFICERS,
        _UNDER_EVALUATION,
        PersonStep(
            "assign-reviewer",
            ReviewerInput,
            "/projects/{project_id}/reviewers",
            _reviewer_sample,
            cli={"reviewer_id": "--reviewer"},
        ),
        action=said("assign a reviewer"),
    ),
    Declaration(
        SubmitReview,
        handlers.submit_review,
        frozenset({Role.REVIEWER}),
        _UNDER_EVALUATION,
        PersonStep(
            "review",
            ReviewInput,
            "/projects/{project_id}/reviews",
            _review_sample,
            cli={"scores": "--score"},
        ),
        action=said("submit a review"),
    ),
    Declaration(
        RecordReminder,
        handlers.record_reminder,
        frozenset({Role.SYSTEM}),
        None,
        action=said("record a reminder"),
    ),
    Declaration(
        DecideApplication,
        handlers.decide_application,
        OFFICERS,
        _UNDER_EVALUATION,
        PersonStep(
            "decide",
            DecisionInput,
            "/projects/{project_id}/decision",
            _one(approve=False, reason=_SAMPLE),
            cli={"awarded_eur": "--amount", "term_starts_at": "--start"},
            verdict=("approve", "reject"),
        ),
        action=said("decide the application"),
    ),
    Declaration(
        StartTerm,
        handlers.start_term,
        AUTOMATIC,
        (Phase.APPROVED, Phase.ACTIVE),
        action=said("start a term"),
    ),
    Declaration(
        ReleaseTranche,
        handlers.release_tranche,
        AUTOMATIC,
        _ACTIVE,
        action=said("release a tranche"),
    ),
    Declaration(
        WithholdTranche,
        handlers.withhold_tranche,
        AUTOMATIC,
        _ACTIVE,
        action=said("withhold a tranche"),
    ),
    Declaration(
        SubmitReport,
        handlers.submit_report,
        COORDINATOR,
        _REPORTING,
        PersonStep(
            "report-submit",
            ReportInput,
            "/projects/{project_id}/reports/{report_id}",
            _each_report(summary=_SAMPLE),
            cli={"report_id": "report"},
        ),
        action=said("submit a report"),
    ),
    Declaration(
        ReviewReport,
        handlers.review_report,
        OFFICERS,
        _REPORTING,
        PersonStep(
            "report-review",
            ReportReviewInput,
            "/projects/{project_id}/reports/{report_id}/review",
            _each_report(accept=False, reason=_SAMPLE),
            cli={"report_id": "report"},
            verdict=("accept", "reject"),
        ),
        action=said("review a report"),
    ),
    Declaration(
        RequestRenewal,
        handlers.request_renewal,
        COORDINATOR,
        _ACTIVE,
        PersonStep(
            "renewal-request",
            RenewalInput,
            "/projects/{project_id}/renewal",
            _lowest_request,
            cli={"requested_eur": "--amount"},
        ),
        action=said("request a renewal"),
    ),
    Declaration(
        DecideRenewal,
        handlers.decide_renewal,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            "renewal-decide",
            RenewalDecisionInput,
            "/projects/{project_id}/renewal/decision",
            _one(grant=False, reason=_SAMPLE),
            cli={"awarded_eur": "--amount"},
            verdict=("grant", "refuse"),
        ),
        action=said("decide the renewal"),
    ),
    Declaration(
        CloseProject,
        handlers.close_project,
        AUTOMATIC,
        _ACTIVE,
        action=said("close the project"),
    ),
    Declaration(
        TerminateProject,
        handlers.terminate_project,
        frozenset({Role.DERCI_OFFICER}),
        (Phase.SUBMITTED, Phase.UNDER_EVALUATION, Phase.APPROVED, Phase.ACTIVE),
        PersonStep(
            "terminate",
            TerminationInput,
            "/projects/{project_id}/termination",
            _one(reason=_SAMPLE),
        ),
        action=said("terminate the project"),
    ),
    Declaration(
        LinkSuccessor,
        handlers.link_successor,
        OFFICERS | {Role.SYSTEM},
        _REPORTING,
        PersonStep(
            "link-successor",
            SuccessorInput,
            "/projects/{project_id}/successor",
            _successor_sample,
            cli={"successor_project_id": "successor"},
        ),
        action=said("link a successor project"),
    ),
)

# Amendments: what was approved changes while the project is active, by an officer and
# with a reason; a coordinator may ask for one. `collab amend PROJECT KIND ...`
AMEND = "amend"
_AMENDMENTS: tuple[Declaration, ...] = (
    Declaration(
        AmendBudget,
        handlers.amend_budget,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.BUDGET}",
            BudgetInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.BUDGET}",
            _budget_samples,
            cli={"awarded_eur": "--amount"},
        ),
        action=said("change the budget"),
    ),
    Declaration(
        AddPartnerLab,
        handlers.add_partner_lab,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.ADD_LAB}",
            AddLabInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.ADD_LAB}",
            _lab_to_add,
            cli={"lab_name": "--name", "lab_country": "--country", "lab_cnrs": "--cnrs"},
        ),
        action=said("add a partner lab"),
    ),
    Declaration(
        RemovePartnerLab,
        handlers.remove_partner_lab,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.REMOVE_LAB}",
            RemoveLabInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.REMOVE_LAB}",
            _each_lab,
            cli={"lab_name": "--name"},
        ),
        action=said("remove a partner lab"),
    ),
    Declaration(
        ReplaceCoordinator,
        handlers.replace_coordinator,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.COORDINATOR}",
            CoordinatorInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.COORDINATOR}",
            _coordinator_sample,
            cli={
                "coordinator_id": "--id",
                "coordinator_name": "--name",
                "coordinator_email": "--email",
                "coordinator_lab": "--lab",
            },
        ),
        action=said("replace the coordinator"),
    ),
    Declaration(
        ChangeLocation,
        handlers.change_location,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.LOCATION}",
            LocationInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.LOCATION}",
            _one(location=_SAMPLE, reason=_SAMPLE),
        ),
        action=said("change the location"),
    ),
    Declaration(
        ExtendTerm,
        handlers.extend_term,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.EXTEND}",
            ExtensionInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.EXTEND}",
            _one(months=1, reason=_SAMPLE),
        ),
        action=said("extend the term"),
    ),
    Declaration(
        SuspendProject,
        handlers.suspend_project,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.SUSPEND}",
            SuspensionInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.SUSPEND}",
            _one(reason=_SAMPLE),
        ),
        action=said("suspend the project"),
    ),
    Declaration(
        ResumeProject,
        handlers.resume_project,
        OFFICERS,
        _ACTIVE,
        PersonStep(
            f"{AMEND} {AmendmentKind.RESUME}",
            ResumptionInput,
            f"/projects/{{project_id}}/amendments/{AmendmentKind.RESUME}",
            _one(reason=_SAMPLE),
        ),
        action=said("resume the project"),
    ),
    Declaration(
        RequestAmendment,
        handlers.request_amendment,
        COORDINATOR,
        _ACTIVE,
        PersonStep(
            "request-amendment",
            AmendmentRequestInput,
            "/projects/{project_id}/amendments/request",
            _one(amendment=AmendmentKind.EXTEND, details=_SAMPLE, reason=_SAMPLE),
            cli={"amendment": "kind"},
        ),
        action=said("request an amendment"),
    ),
)
DECLARATIONS += _AMENDMENTS
# co-funding beside CNRS's, from a decision on: `collab contribution PROJECT ...`
DECLARATIONS += (
    Declaration(
        RecordContribution,
        handlers.record_contribution,
        OFFICERS,
        (Phase.APPROVED, Phase.ACTIVE, Phase.CLOSED),
        PersonStep(
            "contribution",
            ContributionInput,
            "/projects/{project_id}/contributions",
            _contribution_sample,
        ),
        action=said("record a contribution"),
    ),
)
# a whole file at a time, not a person's single step: `collab import` and the officers'
# import page go through application.imports, which sends each entry as this command
DECLARATIONS += (
    Declaration(
        ImportProject,
        handlers.import_project,
        frozenset({Role.DERCI_OFFICER}),
        None,  # its handler judges: only a project that does not exist yet
        action=said("import a project"),
    ),
)

DECLARED: dict[type[CommandBase], Declaration] = {d.command: d for d in DECLARATIONS}
# the steps people take, by command name (the pages' and the API's key) and by CLI name
PERSON_STEPS: dict[str, Declaration] = {d.name: d for d in DECLARATIONS if d.person}
BY_CLI_NAME: dict[str, Declaration] = {
    d.person.name: d for d in DECLARATIONS if d.person is not None
}
