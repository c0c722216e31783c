"""Field types a person types in, defined once: the commands, the API bodies, the page forms
and the CLI flags all take them from here, so a rule on an id or an amount cannot drift."""

from __future__ import annotations

import re
import types
import typing
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from domain.text import FREE_TEXT, ONE_LINE

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
Reason = Annotated[
    str, Field(min_length=1, max_length=4000, description="why, in a sentence"), FREE_TEXT
]
OptionalReason = Annotated[str | None, Field(default=None, max_length=4000), FREE_TEXT]
Summary = Annotated[str, Field(min_length=1, max_length=20000), FREE_TEXT]
# an amendment's words: the partner lab, the new coordinator, the place, what is proposed
LabName = Annotated[str, Field(min_length=1, max_length=300, description="a lab's name"), ONE_LINE]
Country = Annotated[
    str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, such as FR or BR")
]
PersonName = Annotated[
    str, Field(min_length=1, max_length=200, description="a full name"), ONE_LINE
]
Email = Annotated[
    str,
    Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320, description="an e-mail address"),
    ONE_LINE,
]
Place = Annotated[str, Field(min_length=1, max_length=300, description="a place"), ONE_LINE]
Details = Annotated[
    str, Field(min_length=1, max_length=4000, description="what is proposed, in words"), FREE_TEXT
]
# how long a term is extended; the policy's maximum is the decider's rule, in words
Months = Annotated[StrictInt, Field(ge=1, le=120, description="months")]
# Numbers and yes/no are strict: JSON's "60000", 60000.0 or true is not an amount, nor 1 a
# yes. People who type text (a page's form, a CLI flag) are read by domain.typed_text first.
# No CNRS instrument funds more than 100,000 EUR a term; the bound only stops absurd input.
Eur = Annotated[StrictInt, Field(gt=0, le=10_000_000, description="euros")]
Verdict = StrictBool
Score = Annotated[StrictInt, Field(ge=1, le=5)]
# the policy names the criteria (Policy.review_criteria; an unknown one is the decider's to
# refuse, in words); these bounds only stop absurd input before it is looked at
Criterion = Annotated[str, Field(min_length=1, max_length=40), ONE_LINE]
MAX_SCORES = 10
Scores = Annotated[
    dict[Criterion, Score],
    Field(min_length=1, max_length=MAX_SCORES, description="criterion: 1..5"),
]


# Co-funding: an amount in the contributor's currency (whole units: a contribution is
# stated as its agreement states it), the currency's ISO 4217 code and its rate to the euro
# as entered, with the rate's date and source (nothing is fetched: the rate is a fact given)
Year = Annotated[StrictInt, Field(ge=2000, le=2100, description="a calendar year")]
Amount = Annotated[
    StrictInt, Field(gt=0, le=1_000_000_000_000, description="in the currency's units")
]
Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, such as EUR, BRL or JPY")
]
_RATE_TEXT = r"^[0-9]{1,6}(\.[0-9]{1,12})?$"


def _a_rate(value: Any) -> Any:
    """A rate is a number, or its digits as text (a form, a CLI flag, an exact JSON
    string): not a yes/no, not "1e5" nor "NaN", which Decimal would read."""
    if isinstance(value, Decimal) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        return value
    if isinstance(value, str) and re.fullmatch(_RATE_TEXT, value):
        return value
    raise PydanticCustomError("decimal_type", "Input should be a rate such as 0.1734")


EurRate = Annotated[
    Decimal,
    BeforeValidator(_a_rate),
    # more than 0: the decider's rule, in words (the text "0.0" is a rate's shape)
    Field(ge=0, le=1_000_000, description="EUR for 1 unit"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000},
                {"type": "string", "pattern": _RATE_TEXT},
            ],
            "description": "EUR for 1 unit",
        }
    ),
]
Institution = Annotated[
    str, Field(min_length=1, max_length=300, description="an institute or a funder"), ONE_LINE
]


def annual_report_id(term_number: int, year: int) -> str:
    """The report on year `year` of term `term_number`: `term1-year1`."""
    return f"term{term_number}-year{year}"


# The service's own streams (the policy's versions, a call's round) are named with a ":",
# which no project id holds: "policy:cnrs", "call:IEA-2027". The projector folds projects
# only; the ledger and the audit cover every stream alike.
SERVICE_STREAM = ":"


def service_stream(kind: str, name: str) -> str:
    return f"{kind}{SERVICE_STREAM}{name}"


def is_project_id(text: str) -> bool:
    """Whether `text` could name a project: one that cannot is simply not found (and is
    never sent to the database, which refuses some characters, NUL first)."""
    return re.fullmatch(PROJECT_ID_PATTERN, text) is not None


def is_person_id(text: str) -> bool:
    return re.fullmatch(PERSON_ID_PATTERN, text) is not None


def _day_or_moment(value: Any) -> Any:
    """A bare date (2031-01-01) means that day's midnight UTC; a timestamp without offset
    is UTC. Nothing else is a day: not a number (which pydantic would read as seconds since
    1970), not a yes/no."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise PydanticCustomError(
        "datetime_type", "Input should be a day (YYYY-MM-DD) or an ISO 8601 timestamp"
    )


# when a term starts: YYYY-MM-DD or an ISO timestamp
TermStart = Annotated[
    AwareDatetime,
    BeforeValidator(_day_or_moment),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    ),
]


def _a_day(value: Any) -> Any:
    """A day is YYYY-MM-DD (or a date): not a number, which pydantic reads as a timestamp."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError("date_type", "Input should be a day (YYYY-MM-DD)")


Day = Annotated[date, BeforeValidator(_a_day), WithJsonSchema({"type": "string", "format": "date"})]


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
