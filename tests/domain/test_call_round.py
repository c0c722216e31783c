"""The IEA call as a round within an envelope: rankings, DERCI's proposal and closing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.call_round import (
    RANKING_SUBMITTED,
    ROUND_CLOSED,
    CallRound,
    Candidate,
    close_round,
    decision_reason,
    fold,
    propose,
    submit_ranking,
)
from domain.errors import DomainError
from domain.institutes import Institute
from domain.policy import Policy
from domain.state import Phase
from tests.builders import DERCI, INSTITUTE, pi_actor

INSB, INSU, INC = Institute.CNRS_BIOLOGIE, Institute.CNRS_TERRE_UNIVERS, Institute.CNRS_CHIMIE
AT = datetime(2027, 10, 1, tzinfo=UTC)
POLICY = Policy()


def app(pid: str, institute: Institute, requested: int = 12_000, **kw) -> Candidate:
    fields = {"phase": Phase.UNDER_EVALUATION, "reviews": 1, "mean_score": 4.0, **kw}
    return Candidate(
        project_id=pid, title=pid, institute=institute, requested_eur=requested, **fields
    )


def ranked(*rankings: tuple[Institute, tuple[str, ...]]) -> CallRound:
    events = [
        (RANKING_SUBMITTED, {"institute": i.value, "ranking": list(r)}, INSTITUTE.id, AT, "why")
        for i, r in rankings
    ]
    return fold("IEA-2027", events)


CANDIDATES = [
    app("B1", INSB), app("B2", INSB), app("B3", INSB, 14_000),
    app("U1", INSU), app("U2", INSU, 10_000),
    app("C1", INC),
]  # fmt: skip
ROUND = ranked((INSB, ("B1", "B2", "B3")), (INSU, ("U2", "U1")), (INC, ("C1",)))


def test_the_proposal_takes_every_institutes_first_then_every_second_within_the_envelope():
    placed = propose(ROUND, CANDIDATES, 46_000, {}, POLICY)
    approved = [p.project_id for p in placed if p.approve]
    # firsts (equally reviewed: by institute): C1 12k, B1 12k, U2 10k = 34k; seconds: B2
    # 12k = 46k; U1 would pass it
    assert approved == ["C1", "B1", "U2", "B2"]
    by_id = {p.project_id: p for p in placed}
    assert by_id["U1"].why == "envelope" and by_id["B3"].why == "envelope"
    assert by_id["U2"].amount_eur == 10_000 and by_id["U2"].rank == 1


def test_an_institutes_quota_holds_back_its_next_even_within_the_envelope():
    placed = {p.project_id: p for p in propose(ROUND, CANDIDATES, 200_000, {INSB: 2}, POLICY)}
    assert placed["B3"].why == "quota" and not placed["B3"].approve
    assert placed["U1"].approve and placed["B2"].approve


def test_an_application_its_institute_did_not_rank_or_without_reviews_is_not_approved():
    candidates = [*CANDIDATES, app("B4", INSB), app("C2", INC, reviews=0)]
    state = ranked((INSB, ("B1",)), (INC, ("C2", "C1")))
    placed = {p.project_id: p for p in propose(state, candidates, 500_000, {}, POLICY)}
    assert placed["B4"].why == "unranked" and placed["U1"].why == "unranked"
    assert placed["C2"].why == "reviews" and placed["C1"].approve


def test_a_second_ranking_replaces_the_first():
    state = ranked((INSB, ("B1", "B2")), (INSB, ("B2", "B1")))
    assert state.rankings[INSB].ranking == ("B2", "B1")
    assert state.rank_of("B2") == (INSB, 1)


def test_a_ranking_names_only_its_institutes_eligible_applications_once_each():
    with pytest.raises(DomainError, match=r"U1 not among INSB's eligible"):
        submit_ranking(ROUND, CANDIDATES, INSB, ("B1", "U1"), INSTITUTE, "order")
    with pytest.raises(DomainError, match="B1 named more than once"):
        submit_ranking(ROUND, CANDIDATES, INSB, ("B1", "B1"), INSTITUTE, "order")
    with pytest.raises(DomainError, match="may not rank the call's applications"):
        submit_ranking(ROUND, CANDIDATES, INSB, ("B1",), pi_actor(), "order")
    with pytest.raises(DomainError, match="reason: a reason is required"):
        submit_ranking(ROUND, CANDIDATES, INSB, ("B1",), INSTITUTE, " ")
    waiting = [*CANDIDATES, app("B9", INSB, phase=Phase.SUBMITTED)]
    with pytest.raises(DomainError, match="once its deadline has passed"):
        submit_ranking(ROUND, waiting, INSB, ("B1",), INSTITUTE, "order")
    data = submit_ranking(ROUND, CANDIDATES, INSB, ("B3", "B1"), INSTITUTE, "order")
    assert data.ranking == ("B3", "B1")


def test_derci_closes_with_the_proposal_or_adjusted_but_never_beyond_envelope_or_quota():
    closing = close_round(ROUND, CANDIDATES, 46_000, {}, POLICY, {}, DERCI, "as proposed")
    assert closing.used_eur == 46_000
    assert sum(p.approve for p in closing.placements) == 4
    # lower one award and take U1 instead of B2: within the envelope
    adjusted = close_round(
        ROUND, CANDIDATES, 46_000, {}, POLICY, {"B2": 0, "U1": 11_000, "B1": 11_000}, DERCI, "x"
    )
    placed = {p.project_id: p for p in adjusted.placements}
    assert placed["B2"].why == "adjusted" and not placed["B2"].approve
    assert placed["U1"].approve and placed["U1"].amount_eur == 11_000
    assert adjusted.used_eur == 44_000
    with pytest.raises(DomainError, match="beyond the envelope of 46,000 EUR"):
        close_round(ROUND, CANDIDATES, 46_000, {}, POLICY, {"U1": 12_000}, DERCI, "x")
    with pytest.raises(DomainError, match="3 approved for INSB, beyond its quota of 2"):
        close_round(ROUND, CANDIDATES, 500_000, {INSB: 2}, POLICY, {"B3": 14_000}, DERCI, "x")
    with pytest.raises(DomainError, match="exceeds the amount requested"):
        close_round(ROUND, CANDIDATES, 500_000, {}, POLICY, {"U2": 12_000}, DERCI, "x")
    with pytest.raises(DomainError, match="may not close the call"):
        close_round(ROUND, CANDIDATES, 46_000, {}, POLICY, {}, INSTITUTE, "x")
    with pytest.raises(DomainError, match="sets no envelope"):
        close_round(ROUND, CANDIDATES, None, {}, POLICY, {}, DERCI, "x")


def test_a_closed_round_takes_no_ranking_and_no_second_closing():
    closing = close_round(ROUND, CANDIDATES, 46_000, {}, POLICY, {}, DERCI, "as proposed")
    events = [(ROUND_CLOSED, closing.model_dump(mode="json"), DERCI.id, AT, "as proposed")]
    closed = fold("IEA-2027", events)
    assert closed.closed_by == DERCI.id
    with pytest.raises(DomainError, match="call IEA-2027 was closed on 1 October 2027"):
        submit_ranking(closed, CANDIDATES, INSB, ("B1",), INSTITUTE, "late")
    with pytest.raises(DomainError, match="was closed"):
        close_round(closed, CANDIDATES, 46_000, {}, POLICY, {}, DERCI, "again")


def test_each_decision_says_where_the_round_placed_it():
    placed = {p.project_id: p for p in propose(ROUND, CANDIDATES, 34_000, {INC: 0}, POLICY)}
    assert decision_reason(placed["B2"], 2027) == "ranked no. 2 by INSB; within the 2027 envelope"
    assert decision_reason(placed["U1"], 2027) == "ranked no. 2 by INSU; beyond the 2027 envelope"
    assert decision_reason(placed["C1"], 2027) == "ranked no. 1 by INC; beyond INC's quota for 2027"
