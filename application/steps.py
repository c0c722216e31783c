"""A person takes a step: the one path the CLI, the API and the pages share.

`Steps.take(declaration, person, input, project_id)` checks the input against the step's
declared input model, fills in what the directory or the record knows (a reviewer's lab
and country, a successor's instrument), builds the command as the acting person, sends it
to the project's workflow (whose Update validator runs the decider) and returns the
workflow's answer with the store position of its last event. Every refusal is a `Refusal`;
nothing is recorded then.

What is typed is bounded before anything is sent on: each field by its type (domain.fields),
the whole command by MAX_COMMAND_BYTES. A project id that cannot name a project is not
found, like one that names none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from pydantic import ValidationError
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from application.operations import step_failed, step_refused, step_taken
from application.policies import Policies
from application.projects import ProjectService, refusal_of
from application.refusals import Kind, Refusal, project_not_found
from domain import wording
from domain.actors import Actor, Role
from domain.application import Reviewer
from domain.authorization import require_role
from domain.commands import (
    AssignReviewer,
    Command,
    CommandBase,
    DecideRenewal,
    LinkSuccessor,
    SubmitApplication,
)
from domain.decider import decide
from domain.declarations import Declaration
from domain.errors import DomainError
from domain.fields import is_project_id
from domain.instruments import CATALOG, EntryRoute
from domain.said import from_data, said
from domain.state import policy_of
from domain.typed_text import from_text
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory, Person
from readmodels.queries import get_project
from readmodels.views import project_for
from workflows.messages import REFUSAL_TYPE, ProjectOutcome, StepResult

# what the record knows that a person does not type, by command: (fields typed, project)
# -> the command's fields
Prepare = Callable[[dict[str, Any], str | None], Awaitable[dict[str, Any]]]

# a command as Temporal carries it, in JSON: every field is bounded on its own, and this
# bounds them all together (the largest legitimate one, an IRN's application with its labs,
# is far below it; Temporal itself refuses payloads of 2 MB)
MAX_COMMAND_BYTES = 64 * 1024

# the decider's refusals that say the person is not the project's coordinator or one of
# its reviewers: to them the project is out of sight, and it is not found
OUT_OF_SIGHT = frozenset({"coordinator", "reviewer.assigned"})


class Steps:
    def __init__(
        self, store: PostgresEventStore, projects: ProjectService | None, people: PeopleDirectory
    ) -> None:
        self._store = store
        self._projects = projects
        self._people = people
        self._prepare: dict[type[CommandBase], Prepare] = {
            AssignReviewer: self._reviewer_from_directory,
            DecideRenewal: self._next_terms_policy,
        }

    async def take(
        self,
        declared: Declaration,
        person: Person,
        typed: Mapping[str, Any],
        project_id: str | None = None,
    ) -> StepResult:
        """Take the step, and count it (application.operations): taken, or refused by kind
        and rule."""
        try:
            result = await self._take(declared, person, typed, project_id)
        except Refusal as refusal:
            step_refused(declared.name, refusal)
            raise
        except Exception:
            step_failed(declared.name)
            raise
        step_taken(declared.name)
        return result

    async def _take(
        self,
        declared: Declaration,
        person: Person,
        typed: Mapping[str, Any],
        project_id: str | None = None,
    ) -> StepResult:
        step = declared.person
        if step is None:
            raise Refusal(
                Kind.PERMISSION,
                said("{declared_name} is taken by the system only", declared_name=declared.name),
                "role",
            )
        try:
            # before anything is looked up for the input: a person who may not take the step
            # learns nothing about the directory or the project from its refusal
            require_role(declared.command, person.actor)
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        if step.on_project and not is_project_id(project_id or ""):
            raise project_not_found(project_id or "")
        keys = {k: typed[k] for k in step.path_fields if k in typed}
        # a form's or a flag's digits as numbers; the API's JSON arrives typed already
        body = from_text(step.input, {k: v for k, v in typed.items() if k not in keys})
        try:
            given = step.input.model_validate(body)
        except ValidationError as err:
            raise Refusal.of_input(err) from err
        fields = {**dict(given), **keys}
        prepare = self._prepare.get(declared.command)
        if prepare is not None:
            fields = await prepare(fields, project_id)
        try:
            command: Command = declared.command(  # type: ignore[assignment]
                command_id=uuid4(), actor=person.actor, at=datetime.now(UTC), **fields
            )
        except ValidationError as err:
            raise Refusal.of_input(err) from err
        _require_size(command)
        target = project_id if step.on_project else getattr(command, "project_id", None)
        assert target is not None
        if isinstance(command, LinkSuccessor):
            await self._successor_exists(target, command)
        return await self._send(target, command, created=step.created)

    @property
    def projects(self) -> ProjectService:
        if self._projects is None:
            raise Refusal(Kind.UNAVAILABLE, said("no workflow service: steps cannot be taken here"))
        return self._projects

    async def send(self, project_id: str, command: Command) -> StepResult:
        """A step the application composed for a person (DERCI's closing of a call takes
        each project's decision): refused as any step is."""
        return await self._send(project_id, command, created=False)

    async def _send(self, project_id: str, command: Command, *, created: bool) -> StepResult:
        try:
            if created:
                # what starts now starts under the policy in force now; an IEA under its
                # year's call's (the round's envelope is the one it is decided within)
                policies = Policies(self._store)
                policy = await policies.in_force(command.at)
                if (
                    isinstance(command, SubmitApplication)
                    and CATALOG[command.application.instrument].entry is EntryRoute.ANNUAL_CALL
                ):
                    policy = (await policies.for_call(command.at.year))[1]
                return await self.projects.submit(command, policy)  # type: ignore[arg-type]
            return await self.projects.execute(project_id, command)
        except WorkflowUpdateFailedError as err:
            cause = refusal_of(err.cause)
            if cause is not None and (cause.type or "").startswith(REFUSAL_TYPE):
                details = [*cause.details, None, None, None]
                if not created and details[0] in OUT_OF_SIGHT:
                    # not this person's project: they learn nothing of it, not even that
                    # it exists (a GET of it says 404 too)
                    raise project_not_found(project_id) from err
                kind = (cause.type or "").removeprefix(REFUSAL_TYPE)
                # the message with what it takes to say it in French, when the worker sent it
                message = cause.message if details[2] is None else from_data(details[2])
                raise Refusal.of_kind_name(kind, message, details[0], details[1]) from err
            message = cause.message if cause is not None else str(err.cause or err)
            raise Refusal(Kind.CONFLICT, message, "concurrency") from err
        except WorkflowAlreadyStartedError as err:  # its workflow has ended: no fresh start
            raise Refusal(
                Kind.CONFLICT,
                said("project {project_id} already exists", project_id=project_id),
                "project.exists",
            ) from err
        except RPCError as err:
            raise await self._not_running(project_id, err, command.actor) from err

    async def _not_running(
        self, project_id: str, err: RPCError, viewer: Actor | None = None
    ) -> Refusal:
        if err.status is RPCStatusCode.NOT_FOUND:
            seen = viewer is None or await project_for(self._store, viewer, project_id)
            if seen and await self._store.stream_version(project_id):
                # its workflow has completed: the project exists, but takes no more steps
                return Refusal(
                    Kind.TRANSITION,
                    said(
                        "project {project_id} is {value}: it takes no more steps",
                        project_id=project_id,
                        value=await self._final_phase(project_id),
                    ),
                    "project.ended",
                )
            return project_not_found(project_id)
        if err.status is RPCStatusCode.FAILED_PRECONDITION:
            return Refusal(
                Kind.TRANSITION,
                said("project {project_id} has ended", project_id=project_id),
                "project.ended",
            )
        return Refusal(
            Kind.UNAVAILABLE, said("the workflow service refused: {message}", message=err.message)
        )

    async def _final_phase(self, project_id: str) -> str:
        """How the project ended, in words: its workflow's own outcome (the read models may
        not have caught up with its last step yet)."""
        try:
            outcome = await self.projects.handle(project_id).result()
            return wording.phase(ProjectOutcome.model_validate(outcome).phase)
        except (WorkflowFailureError, RPCError):  # failed, or no longer kept: the read model
            row = await get_project(self._store, project_id)
            return wording.phase(row.phase) if row else said("ended")

    async def _reviewer_from_directory(
        self, fields: dict[str, Any], project_id: str | None
    ) -> dict[str, Any]:
        """Who the reviewer is (lab, country: what conflict of interest is checked against)
        comes from the directory, never from the person who assigns them."""
        assert project_id is not None
        try:  # the project exists and is running: its phase is the decider's to judge
            await self.projects.state(project_id)
        except RPCError as err:
            raise await self._not_running(project_id, err) from err
        reviewer_id = fields.pop("reviewer_id")
        found = await self._people.get(reviewer_id)
        if found is None or found.role is not Role.REVIEWER:
            raise Refusal(
                Kind.RULE,
                said(
                    "reviewer_id: {reviewer_id} is not a registered reviewer",
                    reviewer_id=reviewer_id,
                ),
                "reviewer.unknown",
                "reviewer_id",
            )
        reviewer = Reviewer(
            id=found.person_id, name=found.name, lab=found.lab, country=found.country
        )
        return {**fields, "reviewer": reviewer}

    async def _next_terms_policy(
        self, fields: dict[str, Any], project_id: str | None
    ) -> dict[str, Any]:
        """A renewal granted runs its next term under the policy in force on that term's
        first day (a version DERCI set since the project started applies to it then)."""
        assert project_id is not None
        if not fields.get("grant"):
            return fields
        try:
            state = await self.projects.state(project_id)
        except RPCError as err:
            raise await self._not_running(project_id, err) from err
        if state.term is None:
            return fields  # not a renewal the decider can take: it says why
        policy = await Policies(self._store).in_force(state.term.ends_at)
        return {**fields, "policy": policy}

    async def _successor_exists(self, project_id: str, command: LinkSuccessor) -> None:
        """A link is recorded for good: it must name a project that exists, of the
        instrument it claims. The domain's own refusals (role, phase, instrument, window)
        come first, in its words, as the workflow's validator would give them."""
        try:
            state = await self.projects.state(project_id)
        except RPCError as err:
            raise await self._not_running(project_id, err) from err
        try:
            decide(command, state, policy_of(state))
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        # the record itself, not a read model that may not have caught up with it yet
        first = await self._store.read_stream(command.successor_project_id)
        if not first:
            raise Refusal(
                Kind.RULE,
                said(
                    "successor_project_id: {successor_project_id} is not a known project",
                    successor_project_id=command.successor_project_id,
                ),
                "successor.unknown",
                "successor_project_id",
            )
        instrument = first[0].data.get("application", {}).get("instrument")
        if instrument != command.successor_instrument:
            raise Refusal(
                Kind.RULE,
                said(
                    "successor_instrument: {successor_project_id} is an {instrument}, not an "
                    "{successor_instrument}",
                    successor_project_id=command.successor_project_id,
                    instrument=instrument,
                    successor_instrument=command.successor_instrument,
                ),
                "successor.instrument",
                "successor_instrument",
            )


def _require_size(command: Command) -> None:
    size = len(command.model_dump_json().encode())
    if size > MAX_COMMAND_BYTES:
        raise Refusal(
            Kind.INPUT,
            said(
                "input: the step is too large ({size:,} bytes; at most "
                "{MAX_COMMAND_BYTES:,}): shorten its texts or lists",
                size=size,
                MAX_COMMAND_BYTES=MAX_COMMAND_BYTES,
            ),
            "input.size",
            "input",
        )
