"""Who may issue a command: its declared roles (domain.declarations), the project's own
coordinator for a coordinator's step, an assigned reviewer for a review."""

from __future__ import annotations

from domain import wording
from domain.actors import Actor, Role
from domain.commands import CommandBase, SubmitApplication, SubmitReview
from domain.declarations import DECLARED
from domain.errors import NotPermitted
from domain.said import said
from domain.state import ProjectState

# who reads the whole portfolio and may audit the whole store
SEES_ALL = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER, Role.AUDITOR, Role.SYSTEM})
# (the system: the operator on the service's host, who reads with the database's rights)
AUDITORS = frozenset({Role.AUDITOR, Role.DERCI_OFFICER, Role.INSTITUTE_OFFICER, Role.SYSTEM})


def may_audit(actor: Actor) -> None:
    if actor.role not in AUDITORS:
        raise NotPermitted(
            "role", said("{role} may not audit the whole store", role=actor.role.value)
        )


def may_issue(command: type[CommandBase], actor: Actor) -> bool:
    """The actor's role may issue this kind of command at all."""
    return actor.role in DECLARED[command].roles


def require_role(command: type[CommandBase], actor: Actor) -> None:
    """The actor's role may issue this kind of command at all (asked before anything about
    the project or the input is looked up)."""
    if not may_issue(command, actor):
        declared = DECLARED[command]
        allowed = wording.either(wording.a_role(r) for r in sorted(declared.roles))
        raise NotPermitted(
            "role",
            said(
                "{role} {actor_id} may not {action}; only {allowed} may",
                role=wording.role(actor.role),
                actor_id=actor.id,
                action=declared.action,
                allowed=allowed,
            ),
        )


def authorize(command: CommandBase, state: ProjectState) -> None:
    actor: Actor = command.actor
    require_role(type(command), actor)
    if actor.role is Role.COORDINATOR:
        app = command.application if isinstance(command, SubmitApplication) else state.application
        if app is not None and app.coordinator.id != actor.id:
            raise NotPermitted(
                "coordinator",
                said(
                    "{actor_id} is not the coordinator of this project (the coordinator is "
                    "{coordinator_id})",
                    actor_id=actor.id,
                    coordinator_id=app.coordinator.id,
                ),
            )
    if isinstance(command, SubmitReview) and actor.id not in state.reviewer_ids():
        raise NotPermitted(
            "reviewer.assigned",
            said(
                "reviewer {actor_id} is not assigned to project {project_id}",
                actor_id=actor.id,
                project_id=state.project_id,
            ),
        )
