"""decide(command, state, policy) -> events: every rule of the lifecycle, applied in one
order: the project must exist, the actor's role may issue the command
(domain.authorization), the phase accepts it, then the command's own handler.

Pure: the command supplies the business time, the actor and its own id (from which event
ids derive, so a retried command yields the very same events).
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain import wording
from domain.authorization import authorize
from domain.commands import Command, CommandBase, ImportProject, SubmitApplication
from domain.declarations import DECLARED
from domain.errors import IllegalTransition
from domain.events import EVENT_ADAPTER, DomainEvent
from domain.policy import DEFAULT_POLICY, Policy
from domain.said import said
from domain.state import Phase, ProjectState, governing


def event_id_for(command_id: UUID, index: int) -> UUID:
    """Event ids derive from the command id, so deciding a retried command again yields
    events the store recognises as already written."""
    return uuid5(command_id, str(index))


def _require_phase(state: ProjectState, command: CommandBase) -> None:
    declared = DECLARED[type(command)]
    if declared.phases is None or state.phase in declared.phases:
        return
    wanted = wording.either(wording.phase(p.value) for p in declared.phases)
    raise IllegalTransition(
        "phase",
        said(
            "You cannot {action} now: the project is {phase}, not {wanted}",
            action=declared.action,
            phase=wording.phase(state.phase.value),
            wanted=wanted,
        ),
    )


def decide(
    command: Command, state: ProjectState, policy: Policy = DEFAULT_POLICY
) -> list[DomainEvent]:
    """The events a command produces against the current state, or a DomainError."""
    if state.phase is Phase.NEW and not isinstance(command, SubmitApplication | ImportProject):
        raise IllegalTransition(
            "project.unknown",
            said(
                "You cannot {action}: the project does not exist yet",
                action=DECLARED[type(command)].action,
            ),
        )
    authorize(command, state)
    _require_phase(state, command)
    policy = governing(state, policy)
    pending = DECLARED[type(command)].handler(command, state, policy)
    project_id = (
        command.project_id
        if isinstance(command, SubmitApplication | ImportProject)
        else state.project_id
    )
    return [
        EVENT_ADAPTER.validate_python(
            {
                "type": event_type,
                "event_id": event_id_for(command.command_id, i),
                "project_id": project_id,
                "version": state.version + i + 1,
                "occurred_at": command.at,
                "actor": command.actor,
                "reason": command.reason,
                "data": data,
            }
        )
        for i, (event_type, data) in enumerate(pending)
    ]
