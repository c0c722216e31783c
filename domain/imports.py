"""Projects already running, brought in: what an entry says of the project's past, and
whether that past is possible.

An imported project is recorded as one fact, ProjectImported, holding what the entry
says and nothing invented: no approval, term start or payment events are made up for dates
before the import. Its state is the term as it stands (tranches paid, reports accepted),
and its workflow takes it from there: what falls due from now on falls due on its date,
and a report already overdue withholds the tranche that needs it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain import wording
from domain.actors import Role
from domain.application import Application
from domain.calendar import add_years
from domain.errors import RuleViolation
from domain.fields import PersonId, ProjectId, Reason, ReportId, TermStart, annual_report_id
from domain.instruments import CATALOG
from domain.policy import Policy
from domain.said import said

# who may have decided a project the service did not see decided
DECIDERS = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER})


class DecidedBy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: PersonId
    role: Role


class ImportedPast(BaseModel):
    """The `imported` section of an entry: where the project stands in its life."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    awarded_eur: int = Field(gt=0, le=10_000_000, strict=True, description="the current term's")
    term_starts_at: TermStart = Field(description="the current term's start (YYYY-MM-DD)")
    term_number: int = Field(ge=1, le=20, strict=True)
    renewals: int = Field(ge=0, le=20, strict=True, description="renewals granted so far")
    tranches_released: int = Field(ge=0, le=20, strict=True, description="of the current term")
    reports_accepted: tuple[ReportId, ...] = Field(default=(), max_length=40)
    decided_by: DecidedBy
    reason: Reason


class ImportSource(BaseModel):
    """Where the fact came from: the file's SHA-256 and the entry's place in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    entry: int = Field(ge=0, description="its index in the file (0 for the first)")
    line: int | None = Field(default=None, ge=1, description="its line, in a CSV file")
    entry_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the entry's content")


def check_past(app: Application, past: ImportedPast, policy: Policy, at: datetime) -> None:
    """That the past an entry states is one the rules allow, as of `at` (the import)."""
    inst = app.instrument
    years = CATALOG[inst].term_years
    funding = policy.funding_for(inst)
    policy.check_amount(
        CATALOG[inst], past.awarded_eur, said("awarded amount"), "imported.awarded_eur"
    )
    policy.check_award(past.awarded_eur, app.requested_eur, "imported.awarded_eur")
    if past.decided_by.role not in DECIDERS:
        raise RuleViolation(
            "import.decided_by",
            said(
                "imported.decided_by: a project is decided by {roles}, not by {role}",
                roles=wording.either(sorted(_roles())),
                role=wording.a_role(past.decided_by.role),
            ),
            "imported.decided_by",
        )
    if past.renewals != past.term_number - 1:
        raise RuleViolation(
            "import.renewals",
            said(
                "imported.renewals: a project in its term {term_number} has been renewed "
                "{value}, not {renewals}",
                term_number=past.term_number,
                value=wording.times(past.term_number - 1),
                renewals=wording.times(past.renewals),
            ),
            "imported.renewals",
        )
    if past.renewals > funding.max_renewals:
        limit = (
            said("may be renewed at most {limit}", limit=wording.times(funding.max_renewals))
            if funding.max_renewals and CATALOG[inst].renewable
            else said("is not renewed")
        )
        raise RuleViolation(
            "renewal.limit",
            said("imported.renewals: an {inst} {limit}", inst=inst.value, limit=limit),
            "imported.renewals",
        )
    if past.term_starts_at > at:
        raise RuleViolation(
            "import.not_started",
            said(
                "imported.term_starts_at: the term starts on {term_starts_at}, after the "
                "import; bring in running projects only",
                term_starts_at=wording.day(past.term_starts_at),
            ),
            "imported.term_starts_at",
        )
    due = sum(1 for year in range(1, years + 1) if add_years(past.term_starts_at, year - 1) <= at)
    if past.tranches_released > due:
        raise RuleViolation(
            "import.tranches",
            said(
                "imported.tranches_released: {tranches_released} tranches released, but "
                "only {due} of {years} had fallen due by {at}",
                tranches_released=past.tranches_released,
                due=due,
                years=years,
                at=wording.day(at),
            ),
            "imported.tranches_released",
        )
    _check_reports(past, years, at)


def _check_reports(past: ImportedPast, years: int, at: datetime) -> None:
    term = past.term_number
    own = {annual_report_id(term, y): y for y in range(1, years + 1)}
    seen: set[str] = set()
    for report_id in past.reports_accepted:
        year = own.get(report_id)
        if year is None:
            raise RuleViolation(
                "import.reports",
                said(
                    "imported.reports_accepted: {report_id} is not a report of term {term} "
                    "({join})",
                    report_id=report_id,
                    term=term,
                    join=", ".join(own),
                ),
                "imported.reports_accepted",
            )
        if report_id in seen:
            raise RuleViolation(
                "import.reports",
                said("imported.reports_accepted: {report_id} is listed twice", report_id=report_id),
                "imported.reports_accepted",
            )
        seen.add(report_id)
        if add_years(past.term_starts_at, year - 1) > at:
            raise RuleViolation(
                "import.reports",
                said(
                    "imported.reports_accepted: {report_id} covers a year that had not begun "
                    "by {at}",
                    report_id=report_id,
                    at=wording.day(at),
                ),
                "imported.reports_accepted",
            )
    # tranche n is paid once the report on year n-1 is accepted (domain.handlers)
    for year in range(2, past.tranches_released + 1):
        needed = annual_report_id(term, year - 1)
        if needed not in seen:
            raise RuleViolation(
                "import.reports",
                said(
                    "imported.reports_accepted: tranche {year} was released, so report "
                    "{needed} was accepted; list it",
                    year=year,
                    needed=needed,
                ),
                "imported.reports_accepted",
            )


def _roles() -> list[str]:
    return [wording.a_role(r) for r in DECIDERS]


class ImportInput(BaseModel):
    """An entry of an import file: an application file's fields and its past."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_id: ProjectId
    application: Application
    imported: ImportedPast
