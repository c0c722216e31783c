"""The partner rules of each instrument, checked against an application.

Every finding names the instrument, the rule and what was given, so a coordinator can fix
the application without asking DERCI what went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import Application, Reviewer
from domain.instruments import CATALOG
from domain.said import Listed, Said, Words, phrase, said

# what is counted, one and several: the bound's number is said in words
_NOUNS = {
    "CNRS lab": (phrase("one CNRS lab"), phrase("{n} CNRS labs")),
    "French lab": (phrase("one French lab"), phrase("{n} French labs")),
    "foreign lab": (phrase("one foreign lab"), phrase("{n} foreign labs")),
    "foreign country": (phrase("one foreign country"), phrase("{n} foreign countries")),
}


def _counted(n: int, noun: str) -> Said:
    one, several = _NOUNS[noun]
    return said(one) if n == 1 else said(several, n=Words(n))


def _bound(code: str, noun: str, lo: int, hi: int | None, got: Sequence[str]) -> Said | None:
    n = len(got)
    given = said("{n}: {listed}", n=n, listed=Listed(got, ",")) if got else said("{n}", n=n)
    if hi is not None and lo == hi and n != lo:
        return said(
            "{code} requires exactly {bound}; got {given}",
            code=code, bound=_counted(lo, noun), given=given,
        )  # fmt: skip
    if n < lo:
        return said(
            "{code} requires at least {bound}; got {given}",
            code=code, bound=_counted(lo, noun), given=given,
        )  # fmt: skip
    if hi is not None and n > hi:
        return said(
            "{code} allows at most {bound}; got {given}",
            code=code, bound=_counted(hi, noun), given=given,
        )  # fmt: skip
    return None


def partner_findings(app: Application) -> list[Said]:
    """All partner-rule failures of an application (empty when it satisfies its instrument)."""
    inst = CATALOG[app.instrument]
    rules = inst.partners
    code = inst.code.value
    findings: list[Said] = []

    for lab in app.cnrs_labs:
        if not lab.french:
            findings.append(
                said(
                    "CNRS lab '{lab}' must be located in France (FR); got {country}",
                    lab=lab.name,
                    country=lab.country,
                )
            )
    names = [lab.name for lab in app.labs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        findings.append(
            said("each partner lab may be listed once; repeated: {labs}", labs=Listed(dupes, ","))
        )

    checks = [
        _bound(
            code,
            "CNRS lab",
            rules.cnrs_labs_min,
            rules.cnrs_labs_max,
            [lab.name for lab in app.cnrs_labs],
        ),
        _bound(
            code,
            "French lab",
            0,
            rules.french_labs_max,
            [lab.name for lab in app.french_labs],
        ),
        _bound(
            code,
            "foreign lab",
            rules.foreign_labs_min,
            rules.foreign_labs_max,
            [lab.name for lab in app.foreign_labs],
        ),
        _bound(
            code,
            "foreign country",
            rules.foreign_countries_min,
            rules.foreign_countries_max,
            list(app.foreign_countries),
        ),
    ]
    findings.extend(c for c in checks if c)

    if rules.prior_collaboration_required and not (app.prior_collaboration or "").strip():
        findings.append(
            said(
                "{code} consolidates an established collaboration: "
                "prior_collaboration must describe it",
                code=code,
            )
        )
    if rules.location_required and not (app.location or "").strip():
        findings.append(
            said("{code} is set up at one identified location: location is required", code=code)
        )
    if not rules.location_required and app.location:
        findings.append(
            said("{code} has no identified location: location must be empty", code=code)
        )
    if app.predecessor_project_id and inst.code.value != "IRP":
        findings.append(
            said("only an IRP may follow up an IEA; {code} cannot name a predecessor", code=code)
        )
    return findings


def conflict_of_interest(
    app: Application, reviewer: Reviewer, refuse_partner_country: bool
) -> Said | None:
    """Why a reviewer may not evaluate an application, or None."""
    lab_names = {lab.name.casefold() for lab in app.labs}
    if reviewer.lab.casefold() in lab_names:
        return said(
            "reviewer {reviewer} belongs to partner lab '{lab}' (conflict of interest)",
            reviewer=reviewer.id,
            lab=reviewer.lab,
        )
    if reviewer.id == app.coordinator.id:
        return said(
            "reviewer {reviewer} is the project's coordinator (conflict of interest)",
            reviewer=reviewer.id,
        )
    if refuse_partner_country and reviewer.country in {lab.country for lab in app.labs}:
        return said(
            "reviewer {reviewer} is from partner country {country} "
            "(conflict of interest under the current policy)",
            reviewer=reviewer.id,
            country=reviewer.country,
        )
    return None
