"""Co-funding: an institute's or a partner's contribution for a year of the project, in its
currency and valued in euros at the rate stated; each rule refuses in its words and
records nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.commands import RecordContribution
from domain.errors import IllegalTransition, NotPermitted, RuleViolation
from domain.events import ContributionSource
from domain.inputs import ContributionInput
from domain.open_steps import open_steps
from domain.policy import DEFAULT_POLICY
from domain.typed_text import from_text
from tests.builders import DERCI, INSTITUTE, pi_actor, utc
from tests.domain.life import Life
from tests.domain.test_amendments import refused
from tests.domain.test_lifecycle import funded

AT = utc(2027, 3, 1)
FAPESP: dict[str, Any] = {
    "year": 2027,
    "source_kind": ContributionSource.PARTNER,
    "source": "FAPESP",
    "country": "BR",
    "amount": 120_000,
    "currency": "BRL",
    "eur_rate": Decimal("0.1734"),
    "rate_date": date(2027, 2, 1),
    "rate_source": "ECB reference rate",
    "reason": "agreement FAPESP-CNRS 2027",
}
INSU: dict[str, Any] = {
    **FAPESP,
    "source_kind": ContributionSource.INSTITUTE,
    "source": "INSU",
    "country": None,
    "amount": 8_000,
    "currency": "EUR",
    "eur_rate": Decimal(1),
}


def active_irp() -> Life:
    life = funded("IRP")  # term 2026-06-01 → 2031-06-01; partners in BR
    life.run_until(AT)
    return life


def a_co_funded_life() -> Life:
    """An active IRP with a partner's contribution in BRL and an institute's in EUR."""
    life = active_irp()
    life.do(RecordContribution, AT, INSTITUTE, **FAPESP)
    life.do(RecordContribution, AT, DERCI, **INSU)
    return life


def test_a_partners_contribution_is_valued_at_the_stated_rate_and_adds_to_the_state():
    life = active_irp()
    life.do(RecordContribution, AT, INSTITUTE, **FAPESP)
    event = life.events[-1]
    assert event.type == "ContributionRecorded"
    assert (event.actor, event.occurred_at, event.reason) == (INSTITUTE, AT, FAPESP["reason"])
    # 120,000 BRL at 0.1734 EUR: 20,808 EUR, computed once and recorded with the rate
    assert event.data.eur_value == 20_808
    assert (event.data.currency, event.data.eur_rate, event.data.rate_date) == (
        "BRL",
        Decimal("0.1734"),
        date(2027, 2, 1),
    )
    life.do(RecordContribution, AT, DERCI, **INSU)
    assert life.state.cofunding_eur == 20_808 + 8_000
    assert [c.country for c in life.state.contributions] == ["BR", "FR"]
    # CNRS's own funding is untouched by co-funding
    assert life.state.awarded_eur == 72_001


def test_a_value_is_rounded_to_the_euro_half_up():
    life = active_irp()
    life.do(
        RecordContribution, AT, INSTITUTE, **{**FAPESP, "amount": 5, "eur_rate": Decimal("0.1")}
    )
    assert life.events[-1].data.eur_value == 1  # 0.5 EUR: rounded up, as an accountant does


@pytest.mark.parametrize(
    ("fields", "message", "rule", "field"),
    [
        (
            {"year": 2025},
            "year: P-1 is funded from 2026 to 2031; got 2025",
            "contribution.year",
            "year",
        ),
        (
            {"year": 2032},
            "year: P-1 is funded from 2026 to 2031; got 2032",
            "contribution.year",
            "year",
        ),
        (
            {"country": "JP"},
            "country: a partner's contribution comes from a partner country of P-1 (BR); got JP",
            "contribution.country",
            "country",
        ),
        (
            {"country": None},
            "country: a partner's contribution comes from a partner country of P-1 (BR); got none",
            "contribution.country",
            "country",
        ),
        (
            {"currency": "XYZ"},
            "currency: XYZ is not a currency (an ISO 4217 code, such as EUR or BRL)",
            "contribution.currency",
            "currency",
        ),
        (
            {"eur_rate": Decimal(0)},
            "eur_rate: a rate is more than 0; got 0",
            "contribution.rate",
            "eur_rate",
        ),
        (
            {"currency": "EUR"},
            "eur_rate: an amount in EUR is at rate 1; got 0.1734",
            "contribution.rate",
            "eur_rate",
        ),
        (
            {"rate_date": date(2027, 3, 2)},
            "rate_date: a rate is stated as known on a past day; 2027-03-02 is to come",
            "contribution.rate_date",
            "rate_date",
        ),
        (
            {"amount": 1, "eur_rate": Decimal("0.001")},
            "eur_rate: 1 BRL at 0.001 is worth less than 1 EUR",
            "contribution.value",
            "eur_rate",
        ),
        (
            {"source_kind": ContributionSource.INSTITUTE, "source": "FAPESP", "country": None},
            "source: a CNRS institute is named by its code (INSB, INC, INEE, INSHS, INS2I, "
            "INSIS, INSMI, INP, IN2P3 and INSU); got FAPESP",
            "contribution.institute",
            "source",
        ),
        (
            {"source_kind": ContributionSource.INSTITUTE, "source": "INSU", "country": "BR"},
            "country: a CNRS institute is in France (FR); got BR",
            "contribution.country",
            "country",
        ),
    ],
)
def test_each_rule_refuses_in_its_words_and_records_nothing(fields, message, rule, field):
    life = active_irp()
    refused(
        life, RuleViolation, message, rule, field, RecordContribution, AT, **{**FAPESP, **fields}
    )


def test_only_officers_record_a_contribution_and_only_once_a_decision_fixed_the_term():
    life = active_irp()
    with pytest.raises(NotPermitted):
        life.do(RecordContribution, AT, pi_actor(), **FAPESP)
    submitted = Life("P-2")
    submitted.submit("IRP", utc(2026, 3, 2))
    with pytest.raises(IllegalTransition):
        submitted.do(RecordContribution, utc(2026, 3, 3), INSTITUTE, **FAPESP)
    assert not [e for e in submitted.events if e.type == "ContributionRecorded"]


def test_officers_are_offered_the_step_on_an_active_project():
    life = active_irp()
    assert "RecordContribution" in {
        s.command for s in open_steps(life.state, INSTITUTE, AT, DEFAULT_POLICY)
    }


def test_a_rate_typed_the_french_way_is_the_same_number():
    typed = from_text(ContributionInput, {"eur_rate": "0,1734", "amount": "120000"})
    assert typed == {"eur_rate": "0.1734", "amount": 120_000}
    model = ContributionInput.model_validate({**FAPESP, **typed})
    assert model.eur_rate == Decimal("0.1734")


@pytest.mark.parametrize("day", [20270201, True, "01/02/2027"])
def test_a_rate_day_is_a_day_never_a_number(day):
    with pytest.raises(ValueError, match="rate_date"):
        ContributionInput.model_validate({**FAPESP, "rate_date": day})
