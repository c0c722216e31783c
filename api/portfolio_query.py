"""The portfolio's filters from a query string: one parser for the API and the pages. An
empty value means no filter (what an HTML form sends for a field left blank)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import HTTPException, Query

from domain.institutes import Institute
from domain.instruments import InstrumentCode
from domain.state import Phase
from readmodels.views import PortfolioFilter, SortKey

E = TypeVar("E", bound=StrEnum)


def _choice(name: str, value: str | None, enum: type[E]) -> E | None:
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise HTTPException(
            422, {"message": f"{name}: {value!r} is not one of {allowed}", "rule": "query"}
        ) from None


def portfolio_filter(
    instrument: Annotated[str | None, Query(description="IEA, IRN, IRP or IRL")] = None,
    state: Annotated[str | None, Query(description="a project state (phase)")] = None,
    institute: Annotated[str | None, Query(description="the leading CNRS institute")] = None,
    country: Annotated[str | None, Query(description="a partner lab's country (ISO code)")] = None,
    year: Annotated[
        str | None, Query(description="live during that year (UTC): submitted to ended")
    ] = None,
    sort: Annotated[str | None, Query(description="the column to sort by")] = None,
    descending: bool = False,
) -> PortfolioFilter:
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise HTTPException(
            422, {"message": f"country: {country!r} is not a two-letter code", "rule": "query"}
        )
    if year and not (year.isdigit() and 1900 <= int(year) <= 2200):
        raise HTTPException(
            422, {"message": f"year: {year!r} is not a year (1900-2200)", "rule": "query"}
        )
    found_instrument = _choice("instrument", instrument, InstrumentCode)
    phase = _choice("state", state, Phase)
    found_institute = _choice("institute", institute, Institute)
    return PortfolioFilter(
        instrument=found_instrument.value if found_instrument else None,
        phase=phase.value if phase else None,
        institute=found_institute.value if found_institute else None,
        country=country or None,
        year=int(year) if year else None,
        sort=_choice("sort", sort, SortKey) or SortKey.PROJECT,
        descending=descending,
    )
