"""Each human step as a form: its fields, and how the posted text becomes the API's own
request body, so a page validates exactly as the API does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel, ValidationError

from api.bodies import (
    DecisionBody,
    RenewalBody,
    RenewalDecisionBody,
    ReportBody,
    ReportReviewBody,
    ReviewBody,
    ReviewerBody,
    SuccessorBody,
    TerminationBody,
)
from domain.commands import (
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitReport,
    SubmitReview,
    TerminateProject,
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, number, date, yesno, select
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepForm:
    command: str
    body: type[BaseModel]
    fields: tuple[Field, ...]
    amount_field: str | None = None  # where a funding-range refusal is shown


_REASON = Field("reason", "textarea")
FORMS: dict[str, StepForm] = {
    f.command: f
    for f in (
        StepForm("AssignReviewer", ReviewerBody, (Field("reviewer_id", "select"),)),
        StepForm(
            "SubmitReview",
            ReviewBody,
            (
                Field("score_science", "number"),
                Field("score_partnership", "number"),
                Field(
                    "recommendation", "select", choices=("fund", "fund_with_changes", "do_not_fund")
                ),
            ),
        ),
        StepForm(
            "DecideApplication",
            DecisionBody,
            (
                Field("approve", "yesno"),
                Field("awarded_eur", "number", required=False),
                Field("term_starts_at", "date", required=False),
                _REASON,
            ),
            amount_field="awarded_eur",
        ),
        StepForm("SubmitReport", ReportBody, (Field("summary", "textarea"),)),
        StepForm("ReviewReport", ReportReviewBody, (Field("accept", "yesno"), _REASON)),
        StepForm(
            "RequestRenewal",
            RenewalBody,
            (Field("requested_eur", "number"),),
            amount_field="requested_eur",
        ),
        StepForm(
            "DecideRenewal",
            RenewalDecisionBody,
            (Field("grant", "yesno"), Field("awarded_eur", "number", required=False), _REASON),
            amount_field="awarded_eur",
        ),
        StepForm("TerminateProject", TerminationBody, (_REASON,)),
        StepForm(
            "LinkSuccessor",
            SuccessorBody,
            (Field("successor_project_id", "text"), Field("reason", "textarea", required=False)),
        ),
    )
}

COMMANDS: dict[str, type[Any]] = {
    "SubmitReview": SubmitReview,
    "DecideApplication": DecideApplication,
    "SubmitReport": SubmitReport,
    "ReviewReport": ReviewReport,
    "RequestRenewal": RequestRenewal,
    "DecideRenewal": DecideRenewal,
    "TerminateProject": TerminateProject,
    "LinkSuccessor": LinkSuccessor,
}


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse(form: StepForm, posted: dict[str, str], today: date) -> BaseModel:
    """The posted strings as the API's body; FormErrors names each bad field.
    A date of `today` means "from now on", not today's midnight, already past."""
    raw: dict[str, Any] = {}
    for f in form.fields:
        value = (posted.get(f.name) or "").strip()
        if not value:
            if f.required and f.kind != "yesno":
                raw[f.name] = None
            continue
        if f.kind == "yesno":
            if value not in ("yes", "no"):  # never read a stray value as a refusal
                raise FormErrors({f.name: f"{f.name}: answer yes or no; got {value!r}"})
            raw[f.name] = value == "yes"
        elif f.kind == "date":
            try:
                day = date.fromisoformat(value)
                if day != today:
                    raw[f.name] = datetime.combine(day, time(), tzinfo=UTC)
            except ValueError as err:
                message = f"{f.name}: {value!r} is not a date (YYYY-MM-DD)"
                raise FormErrors({f.name: message}) from err
        else:
            raw[f.name] = value
    if form.command == "SubmitReview":
        scores = {k[len("score_") :]: raw.pop(k) for k in list(raw) if k.startswith("score_")}
        raw["scores"] = {k: v for k, v in scores.items() if v is not None}
    for f in form.fields:
        if f.kind == "yesno" and f.name not in raw:
            raw[f.name] = None
    try:
        return form.body.model_validate(raw)
    except ValidationError as err:
        errors: dict[str, str] = {}
        for e in err.errors(include_url=False):
            loc = [str(p) for p in e["loc"]]
            name = loc[0] if loc else "form"
            if name == "scores":
                name = f"score_{loc[1]}" if len(loc) > 1 else "score_science"
            errors.setdefault(name, f"{'.'.join(loc) or name}: {e['msg']}")
        raise FormErrors(errors) from err


def step_fields(form: StepForm, body: BaseModel, report_id: str | None) -> dict[str, Any]:
    """The command's fields from the validated body (the API's endpoints do the same)."""
    fields = body.model_dump()
    if form.command in ("SubmitReport", "ReviewReport"):
        fields["report_id"] = report_id
    return fields


def field_of(form: StepForm, message: str, rule: str | None) -> str:
    """Which field a refusal belongs next to; '' puts it at the top of the form."""
    names = {f.name for f in form.fields}
    head = message.split(":", 1)[0]
    if head in names:
        return head
    prefix = (rule or "").split(".", 1)[0]
    if prefix in names:
        return prefix
    if rule == "funding.range" and form.amount_field:
        return form.amount_field
    return ""
