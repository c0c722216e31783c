"""Field types a person types in, defined once: the commands, the API bodies, the page forms
and the CLI flags all take them from here, so a rule on an id or an amount cannot drift."""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field

PROJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
PERSON_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}$"
# reports are named term1-year1 ... and final (domain.state); an unknown one is the
# decider's to refuse, in words
REPORT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"

ProjectId = Annotated[str, Field(pattern=PROJECT_ID_PATTERN, description="a project id")]
PersonId = Annotated[str, Field(pattern=PERSON_ID_PATTERN, description="a person of the directory")]
ReportId = Annotated[
    str, Field(pattern=REPORT_ID_PATTERN, description="term1-year1, term2-year3, final ...")
]
Reason = Annotated[str, Field(min_length=1, max_length=4000, description="why, in a sentence")]
OptionalReason = Annotated[str | None, Field(default=None, max_length=4000)]
Summary = Annotated[str, Field(min_length=1, max_length=20000)]
# no CNRS instrument funds more than 100,000 EUR a term; the bound only stops absurd input
Eur = Annotated[int, Field(gt=0, le=10_000_000, description="euros")]
Score = Annotated[int, Field(ge=1, le=5)]
Scores = Annotated[dict[str, Score], Field(min_length=1, description="criterion: 1..5")]


def _day_or_moment(value: Any) -> Any:
    """A bare date (2031-01-01) means that day's midnight UTC; a timestamp without offset
    is UTC. Anything else is left to pydantic, which names what is wrong with it."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
            moment = datetime.fromisoformat(text)
        except ValueError:
            return value
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value


# when a term starts: YYYY-MM-DD or an ISO timestamp
TermStart = Annotated[AwareDatetime, BeforeValidator(_day_or_moment)]


def plain_type(annotation: Any) -> Any:
    """The type a person gives for a field, under Optional[...] and Annotated[...]: what an
    entry point offers them (a yes/no, a number, a day, a choice)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation
