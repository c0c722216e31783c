"""The IEA call as a round: a competition for one envelope (seed: "appel à projets annuel
coordonné par la DERCI").

After the deadline each institute officer ranks their institute's eligible applications
(one ordered list, with a reason; a new ranking replaces the last until the round closes).
DERCI then closes the round in one step: `propose` places every eligible application in
rank order within the envelope and the institutes' quotas; the officer confirms it or
adjusts amounts (0 refuses); `close` checks the result against the same rules. Each project
then gets its own decision, with the reason its placement gives.

The round's facts live in the call's own stream (`call:IEA-2027`): CallRankingSubmitted and
CallRoundClosed. Pure: the applications are given (`Candidate`, read from the read model).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import wording
from domain.actors import Actor, Role
from domain.errors import NotPermitted, RuleViolation
from domain.fields import service_stream
from domain.institutes import Institute
from domain.instruments import CATALOG, InstrumentCode
from domain.policy import Policy
from domain.said import Said, phrase, said
from domain.state import Phase

RANKING_SUBMITTED = "CallRankingSubmitted"
ROUND_CLOSED = "CallRoundClosed"
RANKERS = frozenset({Role.INSTITUTE_OFFICER})
CLOSERS = frozenset({Role.DERCI_OFFICER})
MAX_RANKED = 500  # a ranking names at most this many applications
# the round's two steps, where the API takes them (PUT: a ranking replaces the last; the
# closing, put again after it was cut short, takes the decisions not yet taken) and who
ROUND_STEPS = {
    "rank": ("/calls/{year}/rankings/{institute}", RANKERS),
    "close": ("/calls/{year}/closing", CLOSERS),
}


def call_stream(call_id: str) -> str:
    return service_stream("call", call_id)


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Candidate(_Fact):
    """An application of the call as the read model holds it."""

    project_id: str
    title: str
    institute: Institute | None
    phase: Phase
    requested_eur: int
    awarded_eur: int | None = None
    reviews: int = 0
    mean_score: float | None = None
    countries: tuple[str, ...] = ()  # the partners' (France left out)


class RankingSubmittedData(_Fact):
    institute: Institute
    ranking: tuple[str, ...]


class Ranking(_Fact):
    institute: Institute
    ranking: tuple[str, ...]
    by: str
    at: AwareDatetime
    reason: str


class Placement(_Fact):
    project_id: str
    institute: Institute | None
    rank: int | None  # in the institute's ranking; None: not ranked
    approve: bool
    amount_eur: int | None = None
    # why: within | envelope | quota | unranked | reviews | adjusted
    why: str


class RoundClosedData(_Fact):
    call_id: str
    envelope_eur: int
    quotas: dict[Institute, int] = Field(default_factory=dict)
    placements: tuple[Placement, ...]
    used_eur: int


class CallRound(_Fact):
    """The round as its stream folds: the latest ranking of each institute, the closing."""

    call_id: str
    version: int = 0
    rankings: dict[Institute, Ranking] = Field(default_factory=dict)
    closing: RoundClosedData | None = None
    closed_by: str | None = None
    closed_at: AwareDatetime | None = None

    def rank_of(self, project_id: str) -> tuple[Institute, int] | None:
        for institute, ranking in self.rankings.items():
            if project_id in ranking.ranking:
                return institute, ranking.ranking.index(project_id) + 1
        return None


def fold(
    call_id: str, recorded: Iterable[tuple[str, Mapping[str, object], str, datetime, str | None]]
) -> CallRound:
    """The round from its stream's events: (type, data, actor id, recorded at, reason)."""
    state = CallRound(call_id=call_id)
    for type_, data, actor_id, at, reason in recorded:
        version = state.version + 1
        if type_ == RANKING_SUBMITTED:
            fact = RankingSubmittedData.model_validate(data)
            ranking = Ranking(
                institute=fact.institute,
                ranking=fact.ranking,
                by=actor_id,
                at=at,
                reason=reason or "",
            )
            rankings = {**state.rankings, fact.institute: ranking}
            state = state.model_copy(update={"version": version, "rankings": rankings})
        elif type_ == ROUND_CLOSED:
            closing = RoundClosedData.model_validate(data)
            state = state.model_copy(
                update={
                    "version": version,
                    "closing": closing,
                    "closed_by": actor_id,
                    "closed_at": at,
                }
            )
        else:
            state = state.model_copy(update={"version": version})
    return state


# --- the rules -------------------------------------------------------------------------


def _require(actor: Actor, roles: frozenset[Role], to: Said) -> None:
    if actor.role not in roles:
        allowed = wording.either(wording.a_role(r) for r in sorted(roles))
        raise NotPermitted(
            "role",
            said(
                "{role} {actor_id} may not {action}; only {allowed} may",
                role=wording.role(actor.role),
                actor_id=actor.id,
                action=to,
                allowed=allowed,
            ),
        )


def require_closer(actor: Actor) -> None:
    _require(actor, CLOSERS, said("close the call"))


def _require_reason(reason: str, to: Said) -> None:
    if not reason.strip():
        raise RuleViolation("reason.required", said("reason: a reason is required to {to}", to=to))


def _require_open_round(state: CallRound, to: Said) -> None:
    if state.closing is not None:
        raise RuleViolation(
            "call.closed",
            said(
                "You cannot {to} now: call {call_id} was closed on {day}",
                to=to,
                call_id=state.call_id,
                day=wording.day(state.closed_at or datetime.min),
            ),
        )


def _require_deadline_passed(call_id: str, candidates: Iterable[Candidate], to: Said) -> None:
    """The call's applications are checked for eligibility once its deadline has passed:
    one still waiting says the deadline has not."""
    waiting = [c.project_id for c in candidates if c.phase is Phase.SUBMITTED]
    if waiting:
        raise RuleViolation(
            "call.not_closed",
            said(
                "You cannot {to} yet: the applications of call {call_id} are checked once "
                "its deadline has passed ({waiting} still waiting)",
                to=to,
                call_id=call_id,
                waiting=wording.count(len(waiting), "application"),
            ),
        )


def eligible(candidates: Iterable[Candidate]) -> list[Candidate]:
    """What the round decides: the applications under evaluation."""
    return [c for c in candidates if c.phase is Phase.UNDER_EVALUATION]


def submit_ranking(
    state: CallRound,
    candidates: list[Candidate],
    institute: Institute,
    ranking: tuple[str, ...],
    actor: Actor,
    reason: str,
) -> RankingSubmittedData:
    """An institute's ranking, or the rule it breaks: by an institute officer, with a
    reason, after the deadline and before the round closes; each application named once,
    each one of this institute's eligible applications of the call."""
    to = said("rank the call's applications")
    _require(actor, RANKERS, to)
    _require_reason(reason, to)
    _require_open_round(state, to)
    _require_deadline_passed(state.call_id, candidates, to)
    if not ranking:
        raise RuleViolation(
            "ranking.empty", said("ranking: name at least one application"), "ranking"
        )
    if len(ranking) > MAX_RANKED:
        raise RuleViolation(
            "ranking.size",
            said(
                "ranking: at most {most} applications; got {got}",
                most=MAX_RANKED,
                got=len(ranking),
            ),
            "ranking",
        )
    twice = sorted({p for p in ranking if ranking.count(p) > 1})
    if twice:
        raise RuleViolation(
            "ranking.twice",
            said("ranking: {projects} named more than once", projects=wording.every(twice)),
            "ranking",
        )
    theirs = {c.project_id for c in eligible(candidates) if c.institute is institute}
    foreign = [p for p in ranking if p not in theirs]
    if foreign:
        raise RuleViolation(
            "ranking.foreign",
            said(
                "ranking: {projects} not among {institute}'s eligible applications of call "
                "{call_id}",
                projects=wording.every(foreign),
                institute=institute.value,
                call_id=state.call_id,
            ),
            "ranking",
        )
    return RankingSubmittedData(institute=institute, ranking=ranking)


def _amount(c: Candidate, policy: Policy, code: InstrumentCode) -> int:
    rng = policy.funding_for(code)
    return max(rng.funding_min_eur, min(c.requested_eur, rng.funding_max_eur))


def _order(state: CallRound, c: Candidate) -> tuple[int, float, str, str]:
    """Rank order across institutes: every institute's first, then every second, ...; at
    one rank the better reviewed first."""
    placed = state.rank_of(c.project_id)
    rank = placed[1] if placed else MAX_RANKED + 1
    return (rank, -(c.mean_score or 0.0), c.institute.value if c.institute else "", c.project_id)


def propose(
    state: CallRound,
    candidates: list[Candidate],
    envelope_eur: int,
    quotas: Mapping[Institute, int],
    policy: Policy,
    code: InstrumentCode = InstrumentCode.IEA,
) -> tuple[Placement, ...]:
    """Every eligible application placed, in rank order: approved for what it asked (within
    the instrument's range) while the envelope and its institute's quota allow."""
    used, per_institute = 0, dict[Institute, int]()
    placements = []
    for c in sorted(eligible(candidates), key=lambda c: _order(state, c)):
        placed = state.rank_of(c.project_id)
        rank = placed[1] if placed else None
        amount = _amount(c, policy, code)
        quota = quotas.get(c.institute) if c.institute else None
        why = "within"
        if rank is None or c.institute is None:
            why = "unranked"
        elif c.reviews < policy.min_reviews_to_approve:
            why = "reviews"
        elif quota is not None and per_institute.get(c.institute, 0) >= quota:
            why = "quota"
        elif used + amount > envelope_eur:
            why = "envelope"
        approve = why == "within"
        if approve:
            assert c.institute is not None
            used += amount
            per_institute[c.institute] = per_institute.get(c.institute, 0) + 1
        placements.append(
            Placement(
                project_id=c.project_id,
                institute=c.institute,
                rank=rank,
                approve=approve,
                amount_eur=amount if approve else None,
                why=why,
            )
        )
    return tuple(placements)


def close_round(
    state: CallRound,
    candidates: list[Candidate],
    envelope_eur: int | None,
    quotas: Mapping[Institute, int],
    policy: Policy,
    adjustments: Mapping[str, int],
    actor: Actor,
    reason: str,
    code: InstrumentCode = InstrumentCode.IEA,
) -> RoundClosedData:
    """The closing DERCI confirms: the proposal with the officer's adjustments (an amount
    for an application, 0 to refuse it), or the rule the result breaks. Nothing is approved
    beyond the envelope or an institute's quota, out of the instrument's range or above
    what was asked, nor an application its institute did not rank."""
    to = said("close the call")
    _require(actor, CLOSERS, to)
    _require_reason(reason, to)
    _require_open_round(state, to)
    if envelope_eur is None:
        raise RuleViolation(
            "call.envelope",
            said(
                "You cannot {to}: the policy in force for call {call_id} sets no envelope; "
                "its applications are decided one by one",
                to=to,
                call_id=state.call_id,
            ),
        )
    _require_deadline_passed(state.call_id, candidates, to)
    proposal = {p.project_id: p for p in propose(state, candidates, envelope_eur, quotas, policy)}
    if not proposal:
        raise RuleViolation(
            "call.empty",
            said(
                "You cannot {to}: call {call_id} has no eligible application",
                to=to,
                call_id=state.call_id,
            ),
        )
    unknown = sorted(set(adjustments) - set(proposal))
    if unknown:
        raise RuleViolation(
            "adjustments.unknown",
            said(
                "adjustments: {projects} not among the eligible applications of call {call_id}",
                projects=wording.every(unknown),
                call_id=state.call_id,
            ),
            "adjustments",
        )
    by_id = {c.project_id: c for c in candidates}
    placements = []
    for pid, placed in proposal.items():
        if pid not in adjustments:
            placements.append(placed)
            continue
        amount = adjustments[pid]
        if amount == 0:
            refused = {"approve": False, "amount_eur": None, "why": "adjusted"}
            placements.append(placed.model_copy(update=refused))
            continue
        if placed.rank is None:
            raise RuleViolation(
                "adjustments.unranked",
                said(
                    "adjustments: {project_id} was not ranked by its institute; it cannot be "
                    "approved",
                    project_id=pid,
                ),
                "adjustments",
            )
        what = said("{project_id}'s award", project_id=pid)
        policy.check_amount(CATALOG[code], amount, what, "adjustments")
        policy.check_award(amount, by_id[pid].requested_eur, "adjustments")
        if by_id[pid].reviews < policy.min_reviews_to_approve:
            raise RuleViolation(
                "evaluation.reviews",
                said(
                    "adjustments: {project_id} has fewer reviews than approval needs ({needed})",
                    project_id=pid,
                    needed=policy.min_reviews_to_approve,
                ),
                "adjustments",
            )
        approval = {"approve": True, "amount_eur": amount, "why": "within"}
        placements.append(placed.model_copy(update=approval))
    used = sum(p.amount_eur or 0 for p in placements if p.approve)
    if used > envelope_eur:
        raise RuleViolation(
            "call.envelope_exceeded",
            said(
                "adjustments: the approvals come to {used}, beyond the envelope of {envelope}",
                used=wording.eur(used),
                envelope=wording.eur(envelope_eur),
            ),
            "adjustments",
        )
    for institute, quota in quotas.items():
        approved = sum(1 for p in placements if p.approve and p.institute is institute)
        if approved > quota:
            raise RuleViolation(
                "call.quota_exceeded",
                said(
                    "adjustments: {approved} approved for {institute}, beyond its quota of {quota}",
                    approved=approved,
                    institute=institute.value,
                    quota=quota,
                ),
                "adjustments",
            )
    return RoundClosedData(
        call_id=state.call_id,
        envelope_eur=envelope_eur,
        quotas=dict(quotas),
        placements=tuple(sorted(placements, key=_placed_order)),
        used_eur=used,
    )


def _placed_order(p: Placement) -> tuple[int, int, str]:
    return (0 if p.approve else 1, p.rank or MAX_RANKED + 1, p.project_id)


def decision_reason(p: Placement, year: int) -> Said:
    """The reason each project's decision records: where the round placed it (one template
    each, so that the recorded English reads back in French: application.language)."""
    institute = p.institute.value if p.institute else "?"
    if p.rank is None:
        return said("not ranked by {institute} in call {year}", institute=institute, year=year)
    template = {
        "within": phrase("ranked no. {rank} by {institute}; within the {year} envelope"),
        "quota": phrase("ranked no. {rank} by {institute}; beyond {institute}'s quota for {year}"),
        "reviews": phrase(
            "ranked no. {rank} by {institute}; fewer reviews than approval needs in {year}"
        ),
        "adjusted": phrase("ranked no. {rank} by {institute}; not retained by DERCI in {year}"),
    }.get(p.why if not p.approve else "within")
    if template is None:
        template = phrase("ranked no. {rank} by {institute}; beyond the {year} envelope")
    return said(template, rank=p.rank, institute=institute, year=year)
