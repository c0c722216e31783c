"""Who may issue a command: its declared roles (domain.declarations), the project's own
coordinator for a coordinator's step, an assigned reviewer for a review."""

from __future__ import annotations

from domain import wording
from domain.actors import Actor, Role
from domain.commands import CommandBase, SubmitApplication, SubmitReview
from domain.declarations import DECLARED
from domain.errors import NotPermitted
from domain.state import ProjectState

# who reads the whole portfolio and may audit the whole store
SEES_ALL = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER, Role.AUDITOR, Role.SYSTEM})
# (the system: the operator on the service's host, who reads with the database's rights)
AUDITORS = frozenset({Role.AUDITOR, Role.DERCI_OFFICER, Role.INSTITUTE_OFFICER, Role.SYSTEM})


def may_audit(actor: Actor) -> None:
    if actor.role not in AUDITORS:
        raise NotPermitted("role", f"{actor.role.value} may not audit the whole store")


def require_role(command: type[CommandBase], actor: Actor) -> None:
    """The actor's role may issue this kind of command at all (asked before anything about
    the project or the input is looked up)."""
    declared = DECLARED[command]
    if actor.role not in declared.roles:
        allowed = wording.either(wording.a_role(r) for r in sorted(declared.roles))
        raise NotPermitted(
            "role",
            f"{wording.role(actor.role)} {actor.id} may not {declared.action}; only {allowed} may",
        )


def authorize(command: CommandBase, state: ProjectState) -> None:
    actor: Actor = command.actor
    require_role(type(command), actor)
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
