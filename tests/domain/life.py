"""The pure life driver (domain.life_script) with the test builders' people and
applications, and the business clock in the test's hands."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain import life_script as script
from domain.instruments import InstrumentCode
from domain.life_script import LifeInMemory
from domain.policy import DEFAULT_POLICY, Policy
from tests.builders import DERCI, INSTITUTE, NS, application, reviewer


class Life(LifeInMemory):
    def __init__(self, project_id: str, policy: Policy = DEFAULT_POLICY) -> None:
        super().__init__(project_id, policy, namespace=NS)

    def submit(self, code: InstrumentCode | str, at: datetime, **app: Any) -> None:
        self.play(script.submit(self.project_id, application(code, **app), at))
        self.run_until(at)

    def evaluate(self, at: datetime) -> None:
        self.play(script.evaluate(INSTITUTE, reviewer(), at))

    def approve(self, at: datetime, amount: int, starts: datetime | None = None) -> None:
        self.play(script.approve(INSTITUTE, amount, at, starts=starts))

    def report_on_time(self, until: datetime, *, skip: frozenset[str] = frozenset()) -> None:
        """Submit every report 20 days before it is due, accepted 10 days later, up to
        `until`."""
        self.play(script.report_on_time(DERCI, until, skip=skip, review_after=timedelta(days=10)))
