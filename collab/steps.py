"""A person takes a human step: the one path the API and the web pages share. The command is
built from the person's fields, sent to the project's workflow (whose Update validator runs
the decider), and a refusal comes back as `Refused`: the status a client can act on, the
rule's own words and the field it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from application.projects import ProjectService, refusal_of
from domain.actors import Role
from domain.application import Reviewer
from domain.commands import AssignReviewer, Command, LinkSuccessor, SubmitApplication
from domain.decider import decide
from domain.errors import DomainError
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory, Person
from readmodels.projector import Projector
from readmodels.queries import get_project
from workflows.messages import StepResult

# the error types ProjectWorkflow gives domain refusals (workflows.project._refusal)
_STATUS = {"Domain.validation": 422, "Domain.transition": 409, "Domain.permission": 403}


@dataclass
class Services:
    store: PostgresEventStore
    projects: ProjectService

    @property
    def people(self) -> PeopleDirectory:
        return PeopleDirectory(self.store)

    @property
    def projector(self) -> Projector:
        return Projector(self.store)

    async def fresh(self) -> None:
        """Read models up to date with every event already stored."""
        await self.projector.catch_up()


@dataclass
class Refused(Exception):
    status: int
    message: str
    rule: str | None = None
    # pydantic's errors when the input itself is malformed (the API returns them as they are)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def describe(err: ValidationError) -> str:
    first = err.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "input"
    return f"{where}: {first['msg']}"


async def take_step(
    services: Services, project_id: str, who: Person, cls: type[Any], /, **fields: Any
) -> StepResult:
    try:
        command: Command = cls(command_id=uuid4(), actor=who.actor, at=datetime.now(UTC), **fields)
    except ValidationError as err:
        raise Refused(
            422,
            describe(err),
            "input",
            err.errors(include_url=False, include_context=False),  # type: ignore[arg-type]
        ) from err
    try:
        if isinstance(command, LinkSuccessor):
            await check_successor(services, project_id, command)
        if isinstance(command, SubmitApplication):
            return await services.projects.submit(command)
        return await services.projects.execute(project_id, command)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND and await services.store.stream_version(
            project_id
        ):
            # its workflow has completed: the project exists, but takes no more steps
            await services.fresh()
            row = await get_project(services.store, project_id)
            phase = row.phase if row else "ended"
            raise Refused(409, f"project {project_id} is {phase}", "project.ended") from err
        raise _refusal(err, project_id) from err
    except WorkflowUpdateFailedError as err:
        raise _refusal(err, project_id) from err
    except WorkflowAlreadyStartedError as err:  # its workflow has ended: no fresh start
        raise Refused(409, f"project {project_id} already exists", "project.exists") from err


async def check_successor(services: Services, project_id: str, command: LinkSuccessor) -> None:
    """A link is recorded for good: it must name a project that exists, of the instrument
    it claims. The domain's own refusals (role, phase, instrument, window) come first, in
    its words, as the workflow's validator would give them."""
    state = await services.projects.state(project_id)
    try:
        decide(command, state, services.projects.policy)
    except DomainError as err:
        raise Refused(_STATUS.get(f"Domain.{err.kind}", 409), err.message, err.rule) from err
    await services.fresh()
    successor = await get_project(services.store, command.successor_project_id)
    if successor is None:
        raise Refused(
            422,
            f"successor_project_id: {command.successor_project_id} is not a known project",
            "successor.unknown",
        )
    if successor.instrument != command.successor_instrument:
        raise Refused(
            422,
            f"successor_instrument: {command.successor_project_id} is an "
            f"{successor.instrument}, not an {command.successor_instrument}",
            "successor.instrument",
        )


async def assign_reviewer(
    services: Services, project_id: str, who: Person, reviewer_id: str
) -> StepResult:
    # who the reviewer is (lab, country: what conflict of interest is checked against)
    # comes from the people directory, not from the request
    person = await services.people.get(reviewer_id)
    if person is None or person.role is not Role.REVIEWER:
        raise Refused(
            422, f"reviewer_id: {reviewer_id} is not a registered reviewer", "reviewer.unknown"
        )
    reviewer = Reviewer(
        id=person.person_id, name=person.name, lab=person.lab, country=person.country
    )
    return await take_step(services, project_id, who, AssignReviewer, reviewer=reviewer)


def _refusal(err: Exception, project_id: str | None) -> Refused:
    if isinstance(err, WorkflowUpdateFailedError):
        cause = refusal_of(err.cause)
        if cause is not None:
            rule = cause.details[0] if cause.details else None
            status = _STATUS.get(cause.type or "", 409)
            return Refused(status, cause.message, rule)
        return Refused(409, str(err.cause or err))
    if isinstance(err, RPCError):
        if err.status is RPCStatusCode.NOT_FOUND:
            return Refused(404, f"project {project_id} not found", "project.unknown")
        if err.status is RPCStatusCode.FAILED_PRECONDITION:
            return Refused(409, f"project {project_id} has ended", "project.ended")
        return Refused(503, f"workflow service: {err.message}")
    raise err
