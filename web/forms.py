"""Each person's step as a form, derived from its declared input model (domain.inputs):
a yes/no for a boolean, a number for an amount, a date for a term start, a choice for an
enumeration, a text area for a reason or a summary. What is posted goes to the application
layer as the typed fields; the input model judges it there, as for the API."""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime
from pydantic.fields import FieldInfo

from domain.declarations import PERSON_STEPS, Declaration
from domain.fields import plain_type

# the criteria a review form asks a score for (the input takes any named criteria)
REVIEW_CRITERIA = ("science", "partnership")
# fields whose choices come from the directory, not from the type
FROM_DIRECTORY = frozenset({"reviewer_id"})
_LONG_TEXT = 1000  # a longer bound than this is written in a text area
# steps set apart at the end of the page, each taken only with its confirmation ticked
DANGER = frozenset({"TerminateProject"})
CONFIRM = "confirm"  # the confirmation's field: "yes" when ticked
# a day as the page asks for it, whatever the browser's language: 2027-01-02, never 02/01/2027
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_DAY_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, number, date, yesno, select, person
    required: bool = True
    choices: tuple[str, ...] = ()
    default: str = ""  # what the form shows before anything is typed: the input's default


@dataclass(frozen=True)
class StepForm:
    command: str
    fields: tuple[Field, ...]


def _max_length(info: FieldInfo) -> int | None:
    for meta in info.metadata:
        bound = getattr(meta, "max_length", None)
        if bound is not None:
            return int(bound)
    return None


def _fields(name: str, info: FieldInfo) -> list[Field]:
    required = info.is_required()
    kind = plain_type(info.annotation)
    default = info.default
    shown = "" if required or default is None else str(getattr(default, "value", default))
    if name in FROM_DIRECTORY:
        return [Field(name, "person", required)]
    if kind is bool:
        return [Field(name, "yesno", required)]
    if typing.get_origin(kind) is dict:
        return [Field(f"score_{c}", "number", required) for c in REVIEW_CRITERIA]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return [Field(name, "select", required, tuple(m.value for m in kind), shown)]
    if kind is int:
        return [Field(name, "number", required)]
    if kind in (datetime, AwareDatetime, date):  # a term start, a rate's day: a day on a page
        return [Field(name, "date", required)]
    long = (_max_length(info) or 0) > _LONG_TEXT
    return [Field(name, "textarea" if long else "text", required)]


def form_of(declared: Declaration) -> StepForm:
    assert declared.person is not None
    fields = [f for n, i in declared.person.input.model_fields.items() for f in _fields(n, i)]
    return StepForm(declared.name, tuple(fields))


# every step a page may offer (a submission is made by file or API, not on a page)
FORMS: dict[str, StepForm] = {
    name: form_of(d)
    for name, d in PERSON_STEPS.items()
    if d.person is not None and not d.person.from_file
}


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


_ENGLISH = {
    "form.yesno": "{field}: answer yes or no",
    "form.date": "{field}: write the date as YYYY-MM-DD, such as {example}",
    "confirm_needed": "Tick “I confirm ending this project” to end it.",
}


def typed_fields(
    form: StepForm,
    posted: dict[str, str],
    today: date,
    t: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The posted strings as the step's typed fields. A blank optional field is left out;
    a date of `today` means "from now on", not today's midnight, already past. A day is
    read as YYYY-MM-DD only; a step set apart (DANGER) needs its confirmation ticked.
    `t`: the page's words for what is refused here (English without it)."""
    say = t or (lambda key: _ENGLISH.get(key, key))
    typed: dict[str, Any] = {}
    scores: dict[str, str] = {}
    if (
        form.command in DANGER and posted.get(CONFIRM) != "yes"
    ):  # checked here, not only by the browser
        raise FormErrors({CONFIRM: say("confirm_needed")})
    for f in form.fields:
        value = (posted.get(f.name) or "").strip()
        if f.kind == "yesno":
            if value not in ("yes", "no"):  # never read a stray or missing value as a no
                raise FormErrors({f.name: say("form.yesno").format(field=say(f.name))})
            typed[f.name] = value == "yes"
        elif f.kind == "date" and value and not _is_day(value):
            example = today.replace(day=2).isoformat()
            raise FormErrors({f.name: say("form.date").format(field=say(f.name), example=example)})
        elif not value:
            if f.required and not f.name.startswith("score_"):
                typed[f.name] = None  # the input model names the missing field
        elif f.name.startswith("score_"):
            scores[f.name.removeprefix("score_")] = value
        elif f.kind == "date" and value == today.isoformat():
            continue
        else:
            typed[f.name] = value
    if any(f.name.startswith("score_") for f in form.fields):
        typed["scores"] = scores
    return typed


def _is_day(value: str) -> bool:
    if not ISO_DAY.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def field_of(form: StepForm, field: str | None) -> str:
    """Which form field a refusal is shown next to; '' puts it at the top of the form."""
    names = {f.name for f in form.fields}
    if field in names:
        return field
    if field == "scores":
        return next((n for n in sorted(names) if n.startswith("score_")), "")
    return ""
