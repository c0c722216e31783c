"""The four CNRS international instruments, as data (from the DERCI brochure).

Facts that define an instrument (term, partner rules, entry route) live here. Values CNRS
revises from year to year (funding ranges, max renewals) have their defaults here and are
overridden through `domain.policy.Policy`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class InstrumentCode(StrEnum):
    IEA = "IEA"
    IRN = "IRN"
    IRP = "IRP"
    IRL = "IRL"


class EntryRoute(StrEnum):
    ANNUAL_CALL = "annual_call"  # DERCI's annual call for projects
    DIRECT_CONTACT = "direct_contact"  # contact with DERCI and the institutes, any time


class PartnerRules(BaseModel):
    """Counts an application's partner labs must satisfy. `None` as a maximum means no limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cnrs_labs_min: int
    cnrs_labs_max: int | None
    french_labs_max: int | None
    foreign_labs_min: int
    foreign_labs_max: int | None
    foreign_countries_min: int
    foreign_countries_max: int | None
    prior_collaboration_required: bool = False
    location_required: bool = False
    summary: str


class Instrument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: InstrumentCode
    name: str
    term_years: int
    funding_min_eur: int
    funding_max_eur: int
    entry: EntryRoute
    renewable: bool
    max_renewals: int
    successor: InstrumentCode | None
    partners: PartnerRules
    objective: str


CATALOG: dict[InstrumentCode, Instrument] = {
    InstrumentCode.IEA: Instrument(
        code=InstrumentCode.IEA,
        name="International Emerging Action",
        term_years=2,
        funding_min_eur=10_000,
        funding_max_eur=14_000,
        entry=EntryRoute.ANNUAL_CALL,
        renewable=False,
        max_renewals=0,
        successor=InstrumentCode.IRP,
        partners=PartnerRules(
            cnrs_labs_min=1,
            cnrs_labs_max=1,
            french_labs_max=1,
            foreign_labs_min=1,
            foreign_labs_max=1,
            foreign_countries_min=1,
            foreign_countries_max=1,
            summary="one CNRS lab and one lab of one foreign country",
        ),
        objective="explore new research fields and new international partnerships",
    ),
    InstrumentCode.IRN: Instrument(
        code=InstrumentCode.IRN,
        name="International Research Network",
        term_years=5,
        funding_min_eur=50_000,
        funding_max_eur=75_000,
        entry=EntryRoute.DIRECT_CONTACT,
        renewable=True,
        max_renewals=1,  # as the GDRI it replaced
        successor=None,
        partners=PartnerRules(
            cnrs_labs_min=1,
            cnrs_labs_max=None,
            french_labs_max=None,
            foreign_labs_min=2,
            foreign_labs_max=None,
            foreign_countries_min=1,
            foreign_countries_max=None,
            summary="French labs (at least one CNRS lab) and several labs abroad",
        ),
        objective="structure an international scientific community around a shared theme",
    ),
    InstrumentCode.IRP: Instrument(
        code=InstrumentCode.IRP,
        name="International Research Project",
        term_years=5,
        funding_min_eur=50_000,
        funding_max_eur=75_000,
        entry=EntryRoute.DIRECT_CONTACT,
        renewable=True,
        max_renewals=1,  # as the LIA it replaced
        successor=None,
        partners=PartnerRules(
            cnrs_labs_min=1,
            cnrs_labs_max=None,
            french_labs_max=None,
            foreign_labs_min=1,
            foreign_labs_max=None,
            foreign_countries_min=1,
            foreign_countries_max=2,
            prior_collaboration_required=True,
            summary="one or more CNRS labs and labs of one or two foreign countries, "
            "consolidating an established collaboration",
        ),
        objective="consolidate established collaborations",
    ),
    InstrumentCode.IRL: Instrument(
        code=InstrumentCode.IRL,
        name="International Research Laboratory",
        term_years=5,
        funding_min_eur=75_000,
        funding_max_eur=100_000,
        entry=EntryRoute.DIRECT_CONTACT,
        renewable=True,
        max_renewals=2,  # as the UMI rule
        successor=None,
        partners=PartnerRules(
            cnrs_labs_min=1,
            cnrs_labs_max=None,
            french_labs_max=None,
            foreign_labs_min=1,
            foreign_labs_max=None,
            foreign_countries_min=1,
            foreign_countries_max=1,
            location_required=True,
            summary="a French team and a team of exactly one partner country, "
            "at one identified location",
        ),
        objective="a lasting joint laboratory at one identified location",
    ),
}
