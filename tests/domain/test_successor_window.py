"""An IEA may be linked to the IRP that follows it up until a policy window after its term."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.calendar import add_months
from domain.commands import LinkSuccessor
from domain.decider import decide
from domain.errors import IllegalTransition
from domain.handlers import successor_link_closes_at
from domain.instruments import InstrumentCode
from domain.policy import DEFAULT_POLICY, Policy
from domain.state import Phase
from tests.builders import DERCI, cid
from tests.domain.test_lifecycle import finish, funded


def link(at, successor: str = "IRP-9") -> LinkSuccessor:
    return LinkSuccessor(
        command_id=cid("P-1", 99),
        actor=DERCI,
        at=at,
        successor_project_id=successor,
        successor_instrument=InstrumentCode.IRP,
    )


def test_a_closed_iea_with_its_final_report_in_is_linked_within_the_window_only():
    life = funded("IEA")
    finish(life)
    assert life.state.phase is Phase.CLOSED and life.state.lifecycle_complete
    end = life.state.term.ends_at
    closes = successor_link_closes_at(life.state, DEFAULT_POLICY)
    assert closes == add_months(end, 24)

    [event] = decide(link(closes), life.state, DEFAULT_POLICY)
    assert event.type == "SuccessorLinked"
    with pytest.raises(IllegalTransition) as err:
        decide(link(closes + timedelta(seconds=1)), life.state, DEFAULT_POLICY)
    assert str(err.value) == (
        f"an IEA may be linked to its successor until {closes.date()} (24 months after its term)"
    )
    shorter = Policy(successor_link_months_after_end=6)
    assert successor_link_closes_at(life.state, shorter) == add_months(end, 6)


def test_only_an_iea_waiting_for_its_successor_has_a_window():
    irp = funded("IRP")
    assert successor_link_closes_at(irp.state, DEFAULT_POLICY) is None
    iea = funded("IEA")
    iea.do(
        LinkSuccessor,
        iea.state.term.starts_at + timedelta(days=30),
        DERCI,
        successor_project_id="IRP-9",
        successor_instrument=InstrumentCode.IRP,
    )
    assert successor_link_closes_at(iea.state, DEFAULT_POLICY) is None  # already linked
