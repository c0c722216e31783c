"""The policy's versions: each effective from a day, set by a DERCI officer with a reason,
never rewritten once in force; the version in force on a day is the latest begun."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import NotPermitted, RuleViolation
from domain.policy import DEFAULT_POLICY, CallCalendar, Policy
from domain.policy_versions import PolicyBook, PolicyVersion, set_policy
from tests.builders import DERCI, INSTITUTE, utc

LATER = Policy(iea_call=CallCalendar(opens_month=5, opens_day=2))
NOW = utc(2026, 12, 3, 10)


def book_with(*versions: tuple[date, Policy]) -> PolicyBook:
    book = PolicyBook()
    for day, policy in versions:
        data = set_policy(book, policy, day, DERCI, "why", utc(2026, 1, 1))
        book = book.with_version(PolicyVersion(**data.model_dump()))
    return book


def test_the_version_in_force_is_the_latest_whose_day_has_begun():
    book = book_with((date(2027, 1, 1), LATER))
    assert book.in_force(NOW).version == 0 and book.in_force(NOW).policy == DEFAULT_POLICY
    assert book.in_force(utc(2027, 1, 1)).version == 1
    assert book.in_force(utc(2031, 6, 1)).policy == LATER


def test_a_new_version_is_numbered_after_the_last_and_starts_at_midnight_utc():
    data = set_policy(PolicyBook(), LATER, date(2027, 1, 1), DERCI, "new calendar", NOW)
    assert (data.version, data.effective_at) == (1, utc(2027, 1, 1))


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (
            date(2026, 12, 2),
            "effective: a policy takes effect from a day to come or today; 2 December 2026 is past",
        ),
        (
            date(2027, 1, 1),
            "effective: version 1 takes effect on 1 January 2027; a new version takes effect "
            "after it",
        ),
    ],
)
def test_a_version_never_takes_effect_in_the_past_nor_before_the_last(day, message):
    book = book_with((date(2027, 1, 1), LATER))
    with pytest.raises(RuleViolation) as err:
        set_policy(book, DEFAULT_POLICY, day, DERCI, "why", NOW)
    assert (str(err.value), err.value.field) == (message, "effective")


def test_only_a_derci_officer_sets_the_policy_and_always_with_a_reason():
    with pytest.raises(NotPermitted) as err:
        set_policy(PolicyBook(), LATER, date(2027, 1, 1), INSTITUTE, "why", NOW)
    assert "may not set the policy; only a DERCI officer may" in str(err.value)
    with pytest.raises(RuleViolation, match="reason: a reason is required"):
        set_policy(PolicyBook(), LATER, date(2027, 1, 1), DERCI, "  ", NOW)
    today = set_policy(PolicyBook(), LATER, NOW.date(), DERCI, "at once", NOW)
    assert today.effective_at == utc(2026, 12, 3)
