"""Amounts as people type them on a page or a command line: grouped thousands are read,
anything that could mean two numbers stays text for the input model to refuse. The API's
JSON bodies never come through here (they are strict: tests/api)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.inputs import ContributionInput, DecisionInput, ReviewInput
from domain.typed_text import from_text, whole_number

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    "typed",
    [
        "60000",
        "60 000",
        f"60{NBSP}000",  # a no-break space, as word processors and French keyboards put it
        f"60{NNBSP}000",  # the narrow no-break space of French typography
        "60,000",
        " 60 000 ",
    ],
)
def test_grouped_thousands_are_read_as_the_amount(typed):
    assert whole_number(typed) == 60_000
    assert from_text(DecisionInput, {"awarded_eur": typed})["awarded_eur"] == 60_000


@pytest.mark.parametrize(
    ("typed", "read"),
    [("1 234 567", 1_234_567), ("1,234,567", 1_234_567), ("999", 999), ("1 000", 1000)],
)
def test_every_group_after_the_first_has_three_digits(typed, read):
    assert whole_number(typed) == read


@pytest.mark.parametrize(
    "typed",
    [
        "60000.5",  # a fraction of a euro
        "60000.0",
        "6,00",  # a decimal comma: six, not six hundred
        "60,00",
        "60.000",  # sixty to an English reader, sixty thousand to a French one
        "1e5",
        "60 00",  # not groups of three
        "1,2345",
        "60  000",  # two spaces
        "60 000,000",  # two separators
        "-5",
        "+5",
        "",
        "soixante mille",
    ],
)
def test_what_could_mean_another_number_stays_text_and_is_refused(typed):
    assert whole_number(typed) is None
    read = from_text(DecisionInput, {"awarded_eur": typed, "approve": True, "reason": "r"})
    assert read["awarded_eur"] == typed  # left as typed: the strict input refuses it
    with pytest.raises(ValidationError) as refused:
        DecisionInput.model_validate(read)
    assert refused.value.errors()[0]["loc"] == ("awarded_eur",)


def test_grouped_scores_and_contribution_amounts_are_read_too():
    typed = from_text(ContributionInput, {"amount": "120 000", "eur_rate": "0,1734"})
    assert typed == {"amount": 120_000, "eur_rate": "0.1734"}
    scores = from_text(ReviewInput, {"scores": {"science": "5", "feasibility": "4,5"}})
    assert scores["scores"] == {"science": 5, "feasibility": "4,5"}


def test_a_rate_may_group_its_thousands_with_spaces_before_its_decimal_comma():
    assert from_text(ContributionInput, {"eur_rate": "1 234,5"})["eur_rate"] == "1234.5"
    assert Decimal(from_text(ContributionInput, {"eur_rate": "1,5"})["eur_rate"]) == Decimal("1.5")


def test_text_fields_are_never_read_as_numbers():
    assert from_text(DecisionInput, {"reason": "60 000"})["reason"] == "60 000"
