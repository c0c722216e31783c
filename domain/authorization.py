"""Who may issue which command. The API checks identities; this table is the rule."""

from __future__ import annotations

from domain.actors import Actor, Role
from domain.commands import (
    AssignReviewer,
    CheckEligibility,
    CloseProject,
    CommandBase,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RecordReminder,
    ReleaseTranche,
    RequestRenewal,
    ReviewReport,
    StartTerm,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
    TerminateProject,
    WithholdTranche,
)
from domain.errors import NotPermitted
from domain.state import ProjectState

_OFFICERS = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER})
_AUTOMATIC = frozenset({Role.SYSTEM, Role.DERCI_OFFICER})

ALLOWED_ROLES: dict[type[CommandBase], frozenset[Role]] = {
    SubmitApplication: frozenset({Role.COORDINATOR, Role.DERCI_OFFICER}),
    CheckEligibility: _OFFICERS | {Role.SYSTEM},
    AssignReviewer: _OFFICERS,
    SubmitReview: frozenset({Role.REVIEWER}),
    RecordReminder: frozenset({Role.SYSTEM}),
    DecideApplication: _OFFICERS,
    StartTerm: _AUTOMATIC,
    ReleaseTranche: _AUTOMATIC,
    WithholdTranche: _AUTOMATIC,
    SubmitReport: frozenset({Role.COORDINATOR}),
    ReviewReport: _OFFICERS,
    RequestRenewal: frozenset({Role.COORDINATOR}),
    DecideRenewal: _OFFICERS,
    CloseProject: _AUTOMATIC,
    TerminateProject: frozenset({Role.DERCI_OFFICER}),
    LinkSuccessor: _OFFICERS | {Role.SYSTEM},
}


def authorize(command: CommandBase, state: ProjectState) -> None:
    actor: Actor = command.actor
    allowed = ALLOWED_ROLES[type(command)]
    name = type(command).__name__
    if actor.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise NotPermitted(
            "role",
            f"{actor.role.value} {actor.id} may not {_verb(name)}; allowed roles: {roles}",
        )
    if actor.role is Role.COORDINATOR:
        app = command.application if isinstance(command, SubmitApplication) else state.application
        if app is not None and app.coordinator.id != actor.id:
            raise NotPermitted(
                "coordinator",
                f"{actor.id} is not the coordinator of this project "
                f"(the coordinator is {app.coordinator.id})",
            )
    if isinstance(command, SubmitReview) and actor.id not in state.reviewer_ids():
        raise NotPermitted(
            "reviewer.assigned",
            f"reviewer {actor.id} is not assigned to project {state.project_id}",
        )


def _verb(class_name: str) -> str:
    words: list[str] = []
    for ch in class_name:
        if ch.isupper() and words:
            words.append(" ")
        words.append(ch.lower())
    return "".join(words)
