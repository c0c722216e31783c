import pytest

from domain.application import Lab
from domain.errors import RuleViolation
from domain.instruments import CATALOG, EntryRoute, InstrumentCode
from domain.partner_rules import conflict_of_interest, partner_findings
from domain.policy import DEFAULT_POLICY
from tests.builders import KYOTO, LIG, MCGILL, TOKYO, UNIV_LYON, USP, application, reviewer


def test_catalog_holds_the_brochure_facts():
    facts = {
        c.code.value: (c.term_years, c.funding_min_eur, c.funding_max_eur, c.entry, c.renewable)
        for c in CATALOG.values()
    }
    assert facts == {
        "IEA": (2, 10_000, 14_000, EntryRoute.ANNUAL_CALL, False),
        "IRN": (5, 50_000, 75_000, EntryRoute.DIRECT_CONTACT, True),
        "IRP": (5, 50_000, 75_000, EntryRoute.DIRECT_CONTACT, True),
        "IRL": (5, 75_000, 100_000, EntryRoute.DIRECT_CONTACT, True),
    }
    assert CATALOG[InstrumentCode.IEA].successor is InstrumentCode.IRP
    assert [DEFAULT_POLICY.funding_for(c).max_renewals for c in InstrumentCode] == [0, 1, 1, 2]


@pytest.mark.parametrize("code", list(InstrumentCode))
def test_each_reference_application_satisfies_its_instrument(code):
    assert partner_findings(application(code)) == []


@pytest.mark.parametrize(
    ("code", "labs", "extra", "expected"),
    [
        (
            "IEA",
            (LIG, USP, TOKYO),
            {},
            "IEA requires exactly one foreign country; got 2: BR, JP",
        ),
        ("IEA", (LIG, USP, TOKYO), {}, "IEA requires exactly one foreign lab; got 2"),
        (
            "IEA",
            (LIG, Lab(name="LPENS Paris", country="FR", cnrs=True), USP),
            {},
            "IEA requires exactly one CNRS lab; got 2: LIG Grenoble, LPENS Paris",
        ),
        ("IRN", (LIG, USP), {}, "IRN requires at least two foreign labs; got 1: "),
        (
            "IRN",
            (UNIV_LYON, USP, TOKYO),
            {},
            "IRN requires at least one CNRS lab; got 0",
        ),
        (
            "IRP",
            (LIG, USP, TOKYO, MCGILL),
            {},
            "IRP allows at most two foreign countries; got 3: BR, CA, JP",
        ),
        (
            "IRP",
            (LIG, USP),
            {"prior_collaboration": None},
            "IRP consolidates an established collaboration: prior_collaboration must describe it",
        ),
        (
            "IRL",
            (LIG, TOKYO, USP),
            {},
            "IRL requires exactly one foreign country; got 2: BR, JP",
        ),
        (
            "IRL",
            (LIG, TOKYO, KYOTO),
            {"location": None},
            "IRL is set up at one identified location: location is required",
        ),
        (
            "IEA",
            (Lab(name="CNRS lab abroad", country="JP", cnrs=True), USP),
            {},
            "CNRS lab 'CNRS lab abroad' must be located in France (FR); got JP",
        ),
        (
            "IRN",
            (LIG, USP, USP, TOKYO),
            {},
            "each partner lab may be listed once; repeated: Universidade de São Paulo IME",
        ),
    ],
)
def test_partner_rules_name_the_rule_and_what_was_given(code, labs, extra, expected):
    findings = partner_findings(application(code, labs=labs, **extra))
    assert any(f.startswith(expected) for f in findings), findings


def test_amount_outside_range_names_instrument_and_range():
    with pytest.raises(RuleViolation) as err:
        DEFAULT_POLICY.check_amount(CATALOG[InstrumentCode.IRP], 120_000, "awarded amount")
    assert str(err.value) == "awarded amount 120000 EUR outside IRP range 50000–75000"
    assert err.value.rule == "funding.range"


def test_reviewer_from_a_partner_lab_is_a_conflict_of_interest():
    app = application("IRP")
    assert "conflict of interest" in (
        conflict_of_interest(app, reviewer(lab="LIG Grenoble", country="FR"), False) or ""
    )
    neutral = reviewer(lab="ETH Zurich", country="BR")
    assert conflict_of_interest(app, neutral, refuse_partner_country=False) is None
    assert "partner country BR" in (conflict_of_interest(app, neutral, True) or "")
