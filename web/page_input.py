"""What a page was asked that it cannot use (a filter out of its choices, a number out of
bounds), gathered for the page that says so: each problem names the filter, the value as
given (the template escapes it) and the rule's own words."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from application.refusals import HTTP_STATUS, Kind, Refusal


@dataclass(frozen=True)
class Problem:
    name: str  # the query parameter or form field
    value: str | None  # as given; None: read it from the query string
    rule: str


class BadPageInput(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.rule for p in problems))
        self.problems = problems


def bad_query(exc: RequestValidationError) -> BadPageInput:
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        name = loc[-1] if len(loc) > 1 else (loc[0] if loc else "")
        given = error.get("input")
        value = str(given) if isinstance(given, str | int | float) else ""
        problems.append(Problem(name, value, str(error.get("msg", ""))))
    return BadPageInput(problems)


def refused_query(refusal: Refusal) -> Exception:
    """A read's refusal: a bad filter is the person's to fix; anything else (the database
    out of reach) is not theirs, and keeps its own status."""
    if refusal.kind in (Kind.INPUT, Kind.RULE) and refusal.field:
        return BadPageInput([Problem(refusal.field, None, refusal.message)])
    return HTTPException(HTTP_STATUS[refusal.kind], refusal.message)
