"""A refusal, in one shape for every entry point: what kind of no (the CLI turns it into an
exit code, the API into a status, the pages into a message beside a field), the rule's id,
the input field it is about, and the rule's own words. Nothing was recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from domain.errors import DomainError
from domain.fields import is_project_id
from domain.said import said

# the entry points answer it with out_of_reach(): re-exported, they reach no store
from eventstore.errors import StoreUnreachable as StoreUnreachable


class Kind(StrEnum):
    INPUT = "input"  # malformed input: a field breaks its type or bound
    RULE = "rule"  # a rule of the instruments refuses the input
    TRANSITION = "transition"  # not possible in the project's phase or life
    PERMISSION = "permission"  # this person may not
    IDENTITY = "identity"  # no such person, or no credential
    NOT_FOUND = "not_found"  # no such project (or not one this person may see)
    CONFLICT = "conflict"  # a concurrent change, or it exists already
    UNAVAILABLE = "unavailable"  # the workflow service or the database is out of reach


# the status an HTTP client can act on, for the API and the pages alike
HTTP_STATUS = {
    Kind.INPUT: 422,
    Kind.RULE: 422,
    Kind.TRANSITION: 409,
    Kind.CONFLICT: 409,
    Kind.PERMISSION: 403,
    Kind.IDENTITY: 401,
    Kind.NOT_FOUND: 404,
    Kind.UNAVAILABLE: 503,
}

# the domain's error kinds (domain.errors) as refusal kinds
_DOMAIN = {"validation": Kind.RULE, "transition": Kind.TRANSITION, "permission": Kind.PERMISSION}


class Refusal(Exception):
    def __init__(
        self,
        kind: Kind,
        message: str,
        rule: str | None = None,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.rule = rule
        self.field = field
        # pydantic's own list when the input is malformed (the API returns it as FastAPI
        # returns a malformed body's)
        self.errors = errors or []

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of_domain(cls, err: DomainError) -> Refusal:
        return cls(_DOMAIN.get(err.kind, Kind.RULE), err.message, err.rule, err.field)

    @classmethod
    def of_kind_name(cls, kind: str, message: str, rule: str | None, field: str | None) -> Refusal:
        """A domain refusal that crossed the workflow boundary as (kind, rule, field)."""
        return cls(_DOMAIN.get(kind, Kind.RULE), message, rule, field)

    @classmethod
    def of_input(cls, err: ValidationError, prefix: str = "") -> Refusal:
        return cls.of_errors(
            err.errors(include_url=False, include_context=False, include_input=False), prefix
        )

    @classmethod
    def of_errors(cls, errors: Sequence[Mapping[str, Any]], prefix: str = "") -> Refusal:
        """pydantic's errors as one refusal: each problem's place and words, never the value
        given (it may be megabytes, or hold what JSON cannot carry back: NaN, a lone
        surrogate); a place that is itself given (a criterion's name) is shown cut."""
        problems = [
            {"loc": [_place(p) for p in e["loc"]], "msg": str(e["msg"])[:300], "type": e["type"]}
            for e in errors
        ]
        parts = []
        for e in problems:
            loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
            parts.append(
                f"{prefix}{loc}: {e['msg']}" if loc else f"{prefix or 'input'}: {e['msg']}"
            )
        first = [str(p) for p in problems[0]["loc"]] if problems else []
        # the field a form shows it next to: the first problem's, as deep as a form goes
        field = ".".join(first[:2]) if first[:1] == ["application"] else (first or ["input"])[0]
        return cls(Kind.INPUT, "; ".join(parts), "input", field, problems)


def project_not_found(project_id: str) -> Refusal:
    """The same answer whether the project does not exist, may not be seen, or the id could
    name none (then shown escaped and cut: it may hold NUL or be long)."""
    shown = project_id if is_project_id(project_id) else repr(project_id[:60])
    return Refusal(
        Kind.NOT_FOUND, said("project {shown} not found", shown=shown), "project.unknown"
    )


def _place(part: Any) -> str | int:
    if isinstance(part, int):
        return part
    text = str(part)
    if len(text) <= 40 and text.isprintable():
        return text
    return repr(text[:40])  # escaped: a NUL or a lone surrogate shows as \x00, \ud800


# how long a person or a program is asked to wait when the database is out of reach: a
# restart takes seconds, a failover about half a minute
RETRY_AFTER_S = 30


def out_of_reach() -> Refusal:
    """The database out of reach (eventstore.errors.StoreUnreachable, which the entry points
    answer with this): nothing was recorded, nothing could be read."""
    return Refusal(
        Kind.UNAVAILABLE,
        said("the database is out of reach: nothing was recorded; try again in a moment"),
        "store.unreachable",
    )
