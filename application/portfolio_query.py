"""The portfolio's filters as a person gives them (a query string, CLI flags): one model for
the API, the pages and the CLI. An empty value means no filter (what an HTML form sends for
a field left blank); a wrong one is refused naming the filter."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from application.refusals import Kind, Refusal
from domain.institutes import Institute
from domain.instruments import InstrumentCode
from domain.said import said
from domain.state import Phase
from readmodels.views import PortfolioFilter, SortKey

E = TypeVar("E", bound=StrEnum)


class PortfolioQuery(BaseModel):
    # other parameters of the same query string (a page's lang, a read's after) are not its
    model_config = ConfigDict(extra="ignore")

    instrument: str | None = Field(None, max_length=10, description="IEA, IRN, IRP or IRL")
    state: str | None = Field(None, max_length=40, description="a project state (phase)")
    institute: str | None = Field(None, max_length=20, description="the leading CNRS institute")
    country: str | None = Field(None, max_length=10, description="a partner lab's country")
    year: str | None = Field(
        None, max_length=10, description="live during that year (UTC): submitted to ended"
    )
    sort: str | None = Field(None, max_length=40, description="the column to sort by")
    descending: bool = False

    def to_filter(self) -> PortfolioFilter:
        if self.country and not re.fullmatch(r"[A-Z]{2}", self.country):
            raise _bad("country", f"{self.country!r} is not a two-letter code")
        year = self.year
        if year and not (year.isdigit() and 1900 <= int(year) <= 2200):
            raise _bad("year", f"{year!r} is not a year (1900-2200)")
        instrument = _choice("instrument", self.instrument, InstrumentCode)
        phase = _choice("state", self.state, Phase)
        institute = _choice("institute", self.institute, Institute)
        return PortfolioFilter(
            instrument=instrument.value if instrument else None,
            phase=phase.value if phase else None,
            institute=institute.value if institute else None,
            country=self.country or None,
            year=int(year) if year else None,
            sort=_choice("sort", self.sort, SortKey) or SortKey.PROJECT,
            descending=self.descending,
        )


def _bad(name: str, problem: str) -> Refusal:
    return Refusal(Kind.INPUT, said("{name}: {problem}", name=name, problem=problem), "query", name)


def _choice(name: str, value: str | None, enum: type[E]) -> E | None:
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise _bad(name, f"{value!r} is not one of {allowed}") from None
