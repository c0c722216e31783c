"""The partner rules of each instrument, checked against an application.

Every finding names the instrument, the rule and what was given, so a coordinator can fix
the application without asking DERCI what went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import Application, Reviewer
from domain.instruments import CATALOG

_WORDS = {1: "one", 2: "two", 3: "three"}


def _count(n: int) -> str:
    return _WORDS.get(n, str(n))


def _bound(
    code: str, what: str, plural: str, lo: int, hi: int | None, got: Sequence[str]
) -> str | None:
    n = len(got)
    listed = f": {', '.join(got)}" if got else ""
    noun = what if (hi if hi is not None else lo) == 1 else plural
    if hi is not None and lo == hi and n != lo:
        return f"{code} requires exactly {_count(lo)} {noun}; got {n}{listed}"
    if n < lo:
        return f"{code} requires at least {_count(lo)} {noun}; got {n}{listed}"
    if hi is not None and n > hi:
        return f"{code} allows at most {_count(hi)} {noun}; got {n}{listed}"
    return None


def partner_findings(app: Application) -> list[str]:
    """All partner-rule failures of an application (empty when it satisfies its instrument)."""
    inst = CATALOG[app.instrument]
    rules = inst.partners
    code = inst.code.value
    findings: list[str] = []

    for lab in app.cnrs_labs:
        if not lab.french:
            findings.append(
                f"CNRS lab '{lab.name}' must be located in France (FR); got {lab.country}"
            )
    names = [lab.name for lab in app.labs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        findings.append(f"each partner lab may be listed once; repeated: {', '.join(dupes)}")

    checks = [
        _bound(
            code,
            "CNRS lab",
            "CNRS labs",
            rules.cnrs_labs_min,
            rules.cnrs_labs_max,
            [lab.name for lab in app.cnrs_labs],
        ),
        _bound(
            code,
            "French lab",
            "French labs",
            0,
            rules.french_labs_max,
            [lab.name for lab in app.french_labs],
        ),
        _bound(
            code,
            "foreign lab",
            "foreign labs",
            rules.foreign_labs_min,
            rules.foreign_labs_max,
            [lab.name for lab in app.foreign_labs],
        ),
        _bound(
            code,
            "foreign country",
            "foreign countries",
            rules.foreign_countries_min,
            rules.foreign_countries_max,
            list(app.foreign_countries),
        ),
    ]
    findings.extend(c for c in checks if c)

    if rules.prior_collaboration_required and not (app.prior_collaboration or "").strip():
        findings.append(
            f"{code} consolidates an established collaboration: "
            "prior_collaboration must describe it"
        )
    if rules.location_required and not (app.location or "").strip():
        findings.append(f"{code} is set up at one identified location: location is required")
    if not rules.location_required and app.location:
        findings.append(f"{code} has no identified location: location must be empty")
    if app.predecessor_project_id and inst.code.value != "IRP":
        findings.append(f"only an IRP may follow up an IEA; {code} cannot name a predecessor")
    return findings


def conflict_of_interest(
    app: Application, reviewer: Reviewer, refuse_partner_country: bool
) -> str | None:
    """Why a reviewer may not evaluate an application, or None."""
    lab_names = {lab.name.casefold() for lab in app.labs}
    if reviewer.lab.casefold() in lab_names:
        return (
            f"reviewer {reviewer.id} belongs to partner lab '{reviewer.lab}' (conflict of interest)"
        )
    if reviewer.id == app.coordinator.id:
        return f"reviewer {reviewer.id} is the project's coordinator (conflict of interest)"
    if refuse_partner_country and reviewer.country in {lab.country for lab in app.labs}:
        return (
            f"reviewer {reviewer.id} is from partner country {reviewer.country} "
            "(conflict of interest under the current policy)"
        )
    return None
