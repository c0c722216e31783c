"""What a person may type (issue 15): text without control characters, strict numbers,
bounded scores on the policy's criteria, real countries, an award within the request.
Each refusal names the field and the rule, and a refused command records nothing."""

import pytest
from pydantic import ValidationError

from domain.application import MAX_LABS, Lab
from domain.commands import (
    AssignReviewer,
    DecideApplication,
    DecideRenewal,
    RequestRenewal,
    SubmitReview,
)
from domain.countries import country_name, is_country
from domain.errors import RuleViolation
from domain.events import Recommendation
from domain.fields import MAX_SCORES, is_person_id, is_project_id
from domain.inputs import DecisionInput, RenewalInput, ReportInput, ReviewInput, SubmitInput
from domain.policy import DEFAULT_POLICY, Policy
from domain.typed_text import from_text
from tests.builders import (
    DERCI,
    INSTITUTE,
    USP,
    application,
    pi_actor,
    reviewer,
    reviewer_actor,
    utc,
)
from tests.domain.life import Life
from tests.domain.test_lifecycle import funded
from tests.domain.test_rules import in_evaluation, refused


def problems(model, data) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    return [
        (".".join(str(p) for p in e["loc"]), e["msg"]) for e in err.value.errors(include_url=False)
    ]


# text


def test_a_control_character_in_a_reason_is_refused_naming_the_field_and_the_character():
    assert problems(DecisionInput, {"approve": False, "reason": "strong\x00"}) == [
        (
            "reason",
            "a control character (U+0000) at position 7 is not allowed; "
            "only tabs and line breaks may be used besides text",
        )
    ]
    assert problems(ReportInput, {"summary": "bell\x07"})[0][0] == "summary"
    # paragraphs keep their tabs and line breaks
    assert ReportInput(summary="done:\n\t- workshops\r\n").summary.startswith("done")


def test_a_name_or_a_title_is_one_line_of_text():
    """The submission's rule (the decider's), not the field's: an application is also a
    recorded fact, which must still read if one was recorded before the rule."""
    with pytest.raises(RuleViolation) as err:
        Life("P-T").submit("IRP", utc(2026, 3, 2), title="Amazonian\nhydrology")
    assert (err.value.rule, err.value.field) == ("text.character", "application.title")
    assert err.value.message == (
        "application.title: a control character (U+000A) at position 10 is not allowed; "
        "type text on one line"
    )
    coordinator = application("IRP").coordinator.model_copy(update={"id": "pi-durand\x00"})
    life = Life("P-U")
    with pytest.raises(RuleViolation, match=r"application\.coordinator\.id: .*U\+0000"):
        life.submit("IRP", utc(2026, 3, 2), coordinator=coordinator)
    assert life.events == []  # nothing recorded
    # an application recorded with such a text still reads
    stored = application("IRP").model_dump() | {"title": "Amazonian\x01hydrology"}
    assert type(application("IRP")).model_validate(stored).title.startswith("Amazonian")


def test_an_unpaired_surrogate_is_not_text():
    found = problems(DecisionInput, {"approve": False, "reason": "x\ud800"})
    assert found[0][0] == "reason"


def test_lists_and_texts_are_bounded():
    app = application("IRN").model_dump()
    many = {**app, "labs": [USP.model_dump()] * (MAX_LABS + 1)}
    found = problems(SubmitInput, {"project_id": "IRN-1", "application": many})
    assert found == [
        (
            "application.labs",
            f"Tuple should have at most {MAX_LABS} items after validation, not 101",
        )
    ]
    assert problems(ReportInput, {"summary": "x" * 20_001}) == [
        ("summary", "String should have at most 20000 characters")
    ]


# numbers


@pytest.mark.parametrize("amount", ["60000", True, 60000.0, float("inf"), float("nan")])
def test_an_amount_is_an_integer_and_nothing_that_reads_as_one(amount):
    assert problems(RenewalInput, {"requested_eur": amount}) == [
        ("requested_eur", "Input should be a valid integer")
    ]
    assert RenewalInput(requested_eur=60_000).requested_eur == 60_000


def test_an_applications_amount_and_a_verdict_are_strict_too():
    app = {**application("IRP").model_dump(), "requested_eur": "70000"}
    assert problems(SubmitInput, {"project_id": "IRP-1", "application": app}) == [
        ("application.requested_eur", "Input should be a valid integer")
    ]
    assert problems(DecisionInput, {"approve": "yes", "reason": "x"}) == [
        ("approve", "Input should be a valid boolean")
    ]


def test_what_a_person_types_as_digits_is_read_as_a_number_and_nothing_else_is():
    typed = {"approve": True, "awarded_eur": " 60000 ", "reason": "strong"}
    assert from_text(DecisionInput, typed)["awarded_eur"] == 60_000
    assert from_text(DecisionInput, {"awarded_eur": "60000.0"})["awarded_eur"] == "60000.0"
    scores = from_text(ReviewInput, {"scores": {"science": "5", "feasibility": "4.5"}})
    assert scores["scores"] == {"science": 5, "feasibility": "4.5"}
    assert from_text(DecisionInput, {"reason": "60000"})["reason"] == "60000"  # text stays


# scores


def test_scores_are_bounded_before_anyone_reads_them():
    many = {f"c{i}": 3 for i in range(MAX_SCORES + 1)}
    assert problems(ReviewInput, {"scores": many, "recommendation": "fund"}) == [
        ("scores", "Dictionary should have at most 10 items after validation, not more")
    ]
    long = {"x" * 41: 3}
    assert problems(ReviewInput, {"scores": long, "recommendation": "fund"})[0][1] == (
        "String should have at most 40 characters"
    )
    for value, msg in [
        (6, "Input should be less than or equal to 5"),
        ("5", "Input should be a valid integer"),
    ]:
        found = problems(ReviewInput, {"scores": {"science": value}, "recommendation": "fund"})
        assert found == [("scores.science", msg)]


def test_a_review_scores_the_policys_criteria_only():
    life = in_evaluation()
    life.evaluate(utc(2026, 3, 10))  # one review in: a second reviewer is assigned below
    life.do(
        AssignReviewer,
        utc(2026, 3, 11),
        INSTITUTE,
        reviewer=reviewer("rev-2"),
    )
    refused(
        life,
        RuleViolation,
        "scores: 'novelty' is not a criterion of this review; "
        "score science, feasibility, partnership (1 to 5)",
        SubmitReview,
        utc(2026, 3, 12),
        reviewer_actor("rev-2"),
        scores={"science": 5, "novelty": 4},
        recommendation=Recommendation.FUND,
    )
    life.do(
        SubmitReview,
        utc(2026, 3, 12),
        reviewer_actor("rev-2"),
        scores={"science": 5, "feasibility": 4},
        recommendation=Recommendation.FUND,
    )
    assert life.state.reviews[-1].scores == {"science": 5, "feasibility": 4}


# countries


def test_a_lab_of_no_country_is_refused_naming_the_lab_and_the_code():
    with pytest.raises(RuleViolation) as err:
        Life("P-XX").submit(
            "IRP",
            utc(2026, 3, 2),
            labs=(application("IRP").labs[0], Lab(name="Nowhere", country="XX")),
        )
    assert err.value.rule == "country.unknown" and err.value.field == "application.labs"
    assert err.value.message == (
        "application.labs.1.country: XX is not a country (an ISO 3166-1 alpha-2 code, "
        "such as FR or BR)"
    )


def test_countries_are_iso_codes_named_in_english_and_french():
    assert is_country("BR") and is_country("FR") and not is_country("XX")
    assert (country_name("BR"), country_name("BR", "fr")) == ("Brazil", "Brésil")
    assert (country_name("KR", "en"), country_name("KR", "fr")) == ("South Korea", "Corée du Sud")
    assert country_name("XX", "fr") == "XX"  # recorded before the check: shown as it is


# the award


def evaluated(pid: str, policy: Policy | None = None) -> Life:
    """An IRP asking 60,000 EUR, reviewed, awaiting the decision."""
    life = Life(pid, policy) if policy else Life(pid)
    life.submit("IRP", utc(2026, 3, 2), requested_eur=60_000)
    life.run_until(utc(2026, 3, 3))
    life.evaluate(utc(2026, 3, 10))
    return life


def test_an_award_above_the_request_is_refused_by_default():
    life = evaluated("P-7")
    refused(
        life,
        RuleViolation,
        "awarded_eur: the award (75,000 EUR) exceeds the amount requested (60,000 EUR)",
        DecideApplication,
        utc(2026, 4, 1),
        INSTITUTE,
        approve=True,
        awarded_eur=75_000,
        reason="good",
    )
    life.do(
        DecideApplication,
        utc(2026, 4, 1),
        INSTITUTE,
        approve=True,
        awarded_eur=60_000,
        reason="good",
    )


def test_a_policy_may_allow_an_award_above_the_request():
    life = evaluated("P-8", Policy(award_may_exceed_request=True))
    life.do(
        DecideApplication, utc(2026, 4, 1), INSTITUTE, approve=True, awarded_eur=75_000, reason="ok"
    )
    assert life.state.awarded_eur == 75_000


def test_a_renewal_is_granted_at_most_what_was_asked():
    life = funded("IRP")
    life.report_on_time(utc(2030, 7, 1))
    life.do(RequestRenewal, utc(2030, 7, 1), pi_actor(), requested_eur=60_000)
    refused(
        life,
        RuleViolation,
        "awarded_eur: the award (65,000 EUR) exceeds the amount requested (60,000 EUR)",
        DecideRenewal,
        utc(2030, 8, 1),
        DERCI,
        grant=True,
        awarded_eur=65_000,
        reason="ok",
    )


def test_a_policy_recorded_before_the_award_rule_keeps_awards_above_the_request():
    recorded = DEFAULT_POLICY.model_dump(mode="json", exclude={"award_may_exceed_request"})
    assert Policy.model_validate(recorded).award_may_exceed_request is True
    assert Policy().award_may_exceed_request is False
    assert Policy.model_validate(DEFAULT_POLICY.model_dump(mode="json")) == DEFAULT_POLICY


# ids


def test_ids_that_could_name_nothing():
    assert is_project_id("IRP-2027-001") and is_person_id("rev-1")
    for bad in ["IRP-A1\x00", "\x00", "", "IRP 1", "x" * 101, "IRP-1\n"]:
        assert not is_project_id(bad), bad
    assert not is_person_id("rev-1\x00")


def test_a_term_start_is_a_day_or_a_timestamp_never_a_number():
    for given in (0, 1_700_000_000, "1700000000", True, "soon"):
        found = problems(DecisionInput, {"approve": False, "reason": "x", "term_starts_at": given})
        assert found == [
            ("term_starts_at", "Input should be a day (YYYY-MM-DD) or an ISO 8601 timestamp")
        ], given
    day = DecisionInput.model_validate(
        {"approve": True, "awarded_eur": 60_000, "reason": "x", "term_starts_at": "2027-01-01"}
    )
    assert day.term_starts_at == utc(2027, 1, 1)
