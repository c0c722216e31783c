"""The IEA call round (domain.call_round) for every entry point: the call as DERCI and the
institutes see it, an institute's ranking, DERCI's proposal and its closing.

The round's facts are appended to the call's stream with optimistic concurrency (two
officers at once: the second is refused, not lost). Closing records the round, then takes
each project's decision through its workflow under a command id drawn from the call and the
project: a closing cut short is finished by closing again, and no decision is taken twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from application.policies import Policies
from application.refusals import Kind, Refusal
from application.steps import Steps
from domain import wording
from domain.actors import Actor, Role
from domain.call_round import (
    RANKING_SUBMITTED,
    ROUND_CLOSED,
    CallRound,
    Candidate,
    Placement,
    Ranking,
    call_stream,
    close_round,
    decision_reason,
    fold,
    propose,
    require_closer,
    submit_ranking,
)
from domain.commands import DecideApplication
from domain.errors import DomainError
from domain.institutes import Institute
from domain.policy import CallWindow, Policy
from domain.said import said
from domain.state import Phase
from eventstore.errors import ConcurrencyError
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent
from identity.people import Person
from readmodels.calls import call_candidates

_DECIDED = frozenset({Phase.APPROVED, Phase.ACTIVE, Phase.CLOSED, Phase.REJECTED, Phase.TERMINATED})
_FUNDED = frozenset({Phase.APPROVED, Phase.ACTIVE, Phase.CLOSED})
READERS = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER, Role.AUDITOR})
DECISIONS_AT_ONCE = 8  # a closing's decisions sent together, at most


class Application(BaseModel):
    """One application as the call page lists it."""

    model_config = ConfigDict(frozen=True)

    candidate: Candidate
    rank: int | None
    placement: Placement | None  # the closing's, else the proposal's (None: not eligible)


class Success(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # an institute's code or a partner country
    applications: int
    funded: int

    @property
    def rate(self) -> float:
        return self.funded / self.applications if self.applications else 0.0


class CallView(BaseModel):
    model_config = ConfigDict(frozen=True)

    call_id: str
    year: int
    window: CallWindow
    stage: str  # coming | open | evaluation | closed
    envelope_eur: int | None
    quotas: dict[Institute, int]
    applications: list[Application]
    rankings: list[Ranking]
    used_eur: int  # by the closing, else by the proposal
    left_eur: int | None
    closed_by: str | None
    closed_at: datetime | None
    by_institute: list[Success]
    by_country: list[Success]


class ClosingOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    call_id: str
    approved: int
    refused: int
    used_eur: int
    # projects whose decision could not be taken now (the reason): closing again retries
    pending: dict[str, str]


class Calls:
    def __init__(self, store: PostgresEventStore, steps: Steps, policies: Policies) -> None:
        self._store = store
        self._steps = steps
        self._policies = policies

    async def rules(self, year: int) -> tuple[CallWindow, Policy]:
        """The year's call window and the policy it opened under: the version in force
        when the call opens (as the yearly opener reads it)."""
        return await self._policies.for_call(year)

    async def round(self, call_id: str) -> CallRound:
        events = await self._store.read_stream(call_stream(call_id))
        return fold(
            call_id, ((e.type, e.data, e.actor_id, e.recorded_at, e.reason) for e in events)
        )

    async def show(
        self, year: int, viewer: Actor | None = None, now: datetime | None = None
    ) -> CallView:
        """The call as officers and auditors see it (`viewer` None: an operator on the
        service's host): every institute's applications, so not a coordinator's view."""
        if viewer is not None and viewer.role not in READERS:
            raise Refusal(
                Kind.PERMISSION,
                said(
                    "{role} {actor_id} may not see the call's applications; only {allowed} may",
                    role=wording.role(viewer.role),
                    actor_id=viewer.id,
                    allowed=wording.either(wording.a_role(r) for r in sorted(READERS)),
                ),
                "role",
            )
        window, policy = await self.rules(year)
        state = await self.round(window.call_id)
        candidates = await call_candidates(self._store, window.call_id)
        envelope, quotas = policy.iea_call.envelope_eur, dict(policy.iea_call.per_institute)
        if state.closing is not None:
            placements = state.closing.placements
            used = state.closing.used_eur
        elif envelope is not None:
            placements = propose(state, candidates, envelope, quotas, policy)
            used = sum(p.amount_eur or 0 for p in placements if p.approve)
        else:
            placements, used = (), 0
        placed = {p.project_id: p for p in placements}
        rows = []
        for c in candidates:
            rank = state.rank_of(c.project_id)
            rows.append(
                Application(
                    candidate=c, rank=rank[1] if rank else None, placement=placed.get(c.project_id)
                )
            )
        stage = _stage(window, state, candidates, now or datetime.now(UTC))
        return CallView(
            call_id=window.call_id,
            year=year,
            window=window,
            stage=stage,
            envelope_eur=envelope,
            quotas=quotas,
            applications=rows,
            rankings=sorted(state.rankings.values(), key=lambda r: r.institute.value),
            used_eur=used,
            left_eur=envelope - used if envelope is not None else None,
            closed_by=state.closed_by,
            closed_at=state.closed_at,
            by_institute=_success(candidates, lambda c: [c.institute.value] if c.institute else []),
            by_country=_success(candidates, lambda c: list(c.countries)),
        )

    async def rank(
        self, person: Person, year: int, institute: Institute, ranking: list[str], reason: str
    ) -> Ranking:
        window, _ = await self.rules(year)
        state = await self.round(window.call_id)
        candidates = await call_candidates(self._store, window.call_id)
        try:
            data = submit_ranking(
                state, candidates, institute, tuple(ranking), person.actor, reason
            )
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        at = await self._append(
            state, RANKING_SUBMITTED, data.model_dump(mode="json"), person, reason
        )
        return Ranking(
            institute=institute, ranking=data.ranking, by=person.person_id, at=at, reason=reason
        )

    async def close(
        self, person: Person, year: int, reason: str, adjustments: Mapping[str, int]
    ) -> ClosingOutcome:
        """Record the closing (the proposal as adjusted), then take each project's decision.
        A round already closed is not closed again: its decisions not yet taken are."""
        try:  # whoever may not close may not finish a closing either
            require_closer(person.actor)
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        window, policy = await self.rules(year)
        state = await self.round(window.call_id)
        if state.closing is None:
            candidates = await call_candidates(self._store, window.call_id)
            try:
                data = close_round(
                    state,
                    candidates,
                    policy.iea_call.envelope_eur,
                    policy.iea_call.per_institute,
                    policy,
                    adjustments,
                    person.actor,
                    reason,
                )
            except DomainError as err:
                raise Refusal.of_domain(err) from err
            await self._append(state, ROUND_CLOSED, data.model_dump(mode="json"), person, reason)
            state = await self.round(window.call_id)
        elif adjustments:
            raise Refusal(
                Kind.TRANSITION,
                said(
                    "You cannot adjust call {call_id} now: it was closed by {actor_id}",
                    call_id=window.call_id,
                    actor_id=state.closed_by or "?",
                ),
                "call.closed",
            )
        assert state.closing is not None
        return await self._decide_all(person, year, state)

    async def _decide_all(self, person: Person, year: int, state: CallRound) -> ClosingOutcome:
        closing = state.closing
        assert closing is not None
        phases = {c.project_id: c.phase for c in await call_candidates(self._store, state.call_id)}
        gate = asyncio.Semaphore(DECISIONS_AT_ONCE)
        pending: dict[str, str] = {}

        async def decide(p: Placement) -> None:
            if phases.get(p.project_id) in _DECIDED:
                return  # taken by an earlier closing (the read model may lag: the id holds)
            command = DecideApplication(
                command_id=uuid5(NAMESPACE_URL, f"collab:{state.call_id}/{p.project_id}"),
                actor=person.actor,
                at=datetime.now(UTC),
                approve=p.approve,
                awarded_eur=p.amount_eur,
                reason=str(decision_reason(p, year)),
                call_closing=True,
            )
            async with gate:
                try:
                    await self._steps.send(p.project_id, command)
                except Refusal as refusal:
                    if refusal.kind is not Kind.TRANSITION:  # else decided meanwhile
                        pending[p.project_id] = refusal.message
                except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
                    pending[p.project_id] = f"the workflow service did not answer ({err})"

        await asyncio.gather(*(decide(p) for p in closing.placements))
        return ClosingOutcome(
            call_id=state.call_id,
            approved=sum(1 for p in closing.placements if p.approve),
            refused=sum(1 for p in closing.placements if not p.approve),
            used_eur=closing.used_eur,
            pending=pending,
        )

    async def _append(
        self, state: CallRound, type_: str, data: dict[str, object], person: Person, reason: str
    ) -> datetime:
        now = datetime.now(UTC)
        fact = NewEvent(
            event_id=uuid4(),
            stream_id=call_stream(state.call_id),
            version=state.version + 1,
            type=type_,
            schema_version=1,
            occurred_at=now,
            actor_id=person.actor.id,
            actor_role=person.actor.role.value,
            reason=reason,
            data=data,
        )
        try:
            await self._store.append(call_stream(state.call_id), [fact], state.version)
        except ConcurrencyError as err:
            raise Refusal(
                Kind.CONFLICT,
                said("call {call_id} was changed meanwhile: look again", call_id=state.call_id),
                "concurrency",
            ) from err
        return now


def _stage(window: CallWindow, state: CallRound, candidates: list[Candidate], now: datetime) -> str:
    """Where the call stands, from what it holds first (its applications' phases follow the
    workflows' clock, the one that counts), then from the calendar."""
    if state.closing is not None:
        return "closed"
    if candidates and all(c.phase is not Phase.SUBMITTED for c in candidates):
        return "evaluation"
    if now > window.closes_at:
        return "evaluation"
    return "open" if candidates or now >= window.opens_at else "coming"


def _success(candidates: list[Candidate], keys: Callable[[Candidate], list[str]]) -> list[Success]:
    """Of the applications decided, how many were funded, by institute or partner country."""
    counts: dict[str, list[int]] = {}
    for c in candidates:
        if c.phase not in _DECIDED and c.phase is not Phase.INELIGIBLE:
            continue
        for key in keys(c):
            seen = counts.setdefault(key, [0, 0])
            seen[0] += 1
            seen[1] += c.phase in _FUNDED
    return [Success(key=k, applications=a, funded=f) for k, (a, f) in sorted(counts.items())]
