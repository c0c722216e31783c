"""Refusals speak the user's words: a step is named as the pages name it, a phase as the
pages say it, counts as sentences, the IEA call by its dates. The rule and the field, which
machines rely on, stay as they were; a refused command records nothing."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from domain import wording
from domain.actors import Actor, Role
from domain.commands import (
    CommandBase,
    DecideApplication,
    DecideRenewal,
    RecordReminder,
    RequestRenewal,
    ReviewReport,
    SubmitApplication,
    SubmitReport,
    TerminateProject,
)
from domain.decider import decide
from domain.declarations import DECLARATIONS
from domain.errors import DomainError, IllegalTransition, NotPermitted, RuleViolation
from domain.evolve import fold
from domain.policy import DEFAULT_POLICY, CallCalendar, Policy, iea_call_window
from domain.state import Phase, ProjectState
from tests.builders import DERCI, INSTITUTE, application, cid, pi_actor, utc
from tests.domain.life import Life
from tests.domain.test_lifecycle import funded


def refusal(
    error: type[DomainError],
    rule: str,
    field: str | None,
    cls: type[CommandBase],
    state: ProjectState,
    at: datetime,
    actor: Actor,
    policy: Policy = DEFAULT_POLICY,
    **fields: Any,
) -> str:
    """The message of the refusal, after checking its kind, rule and field and that the
    state is untouched."""
    before = state.model_copy(deep=True)
    command = cls(command_id=cid("msg", cls.__name__, at), actor=actor, at=at, **fields)
    with pytest.raises(DomainError) as err:
        decide(command, state, policy)
    assert type(err.value) is error
    assert (err.value.rule, err.value.field) == (rule, field)
    assert state == before  # nothing recorded
    return str(err.value)


def in_evaluation(policy: Policy = DEFAULT_POLICY) -> Life:
    life = Life("P-7", policy)
    life.submit("IRP", utc(2026, 3, 2))
    life.run_until(utc(2026, 3, 3))
    assert life.state.phase is Phase.UNDER_EVALUATION
    return life


# -- a step is named in words, the phase as the pages say it ----------------------------


def test_a_step_refused_in_this_phase_is_named_and_the_phase_said_in_words():
    life = in_evaluation()
    message = refusal(
        IllegalTransition,
        "phase",
        None,
        RequestRenewal,
        life.state,
        utc(2026, 3, 10),
        pi_actor(),
        requested_eur=60_000,
    )
    assert (
        message == "You cannot request a renewal now: the project is under evaluation, not active"
    )


def test_a_step_open_in_several_phases_lists_them():
    life = in_evaluation()
    message = refusal(
        IllegalTransition,
        "phase",
        None,
        SubmitReport,
        life.state,
        utc(2026, 3, 10),
        pi_actor(),
        report_id="term1-year1",
        summary="x",
    )
    assert message == (
        "You cannot submit a report now: the project is under evaluation, not active or closed"
    )
    life.do(DecideApplication, utc(2026, 3, 12), INSTITUTE, approve=False, reason="weak")
    message = refusal(
        IllegalTransition,
        "phase",
        None,
        TerminateProject,
        life.state,
        utc(2026, 3, 13),
        DERCI,
        reason="stop",
    )
    assert message == (
        "You cannot terminate the project now: the project is rejected, "
        "not submitted, under evaluation, approved or active"
    )


def test_a_step_on_a_project_that_does_not_exist_is_named():
    message = refusal(
        IllegalTransition,
        "project.unknown",
        None,
        DecideApplication,
        fold([]),
        utc(2026, 3, 10),
        INSTITUTE,
        approve=False,
        reason="weak",
    )
    assert message == "You cannot decide the application: the project does not exist yet"


def test_a_role_that_may_not_take_a_step_is_told_who_may():
    life = in_evaluation()
    message = refusal(
        NotPermitted,
        "role",
        None,
        DecideApplication,
        life.state,
        utc(2026, 3, 10),
        pi_actor(),
        approve=False,
        reason="weak",
    )
    assert message == (
        "coordinator pi-durand may not decide the application; "
        "only a DERCI officer or an institute officer may"
    )
    message = refusal(
        NotPermitted,
        "role",
        None,
        TerminateProject,
        life.state,
        utc(2026, 3, 10),
        INSTITUTE,
        reason="stop",
    )
    assert message == (
        "institute officer insu-dupont may not terminate the project; only a DERCI officer may"
    )
    message = refusal(
        NotPermitted,
        "role",
        None,
        RecordReminder,
        life.state,
        utc(2026, 3, 10),
        DERCI,
        reminder="review_due",
        key="k",
        due_at=utc(2026, 3, 20),
        recipients=("x",),
        subject="s",
    )
    assert message == "DERCI officer derci-martin may not record a reminder; only the system may"


def test_a_missing_reason_names_what_it_would_justify():
    life = in_evaluation()
    at, officer = utc(2026, 3, 10), INSTITUTE
    approve = refusal(
        RuleViolation,
        "reason.required",
        "reason",
        DecideApplication,
        life.state,
        at,
        officer,
        approve=True,
        awarded_eur=60_000,
        reason="  ",
    )
    assert approve == "reason: a reason is required to approve the application"
    reject = refusal(
        RuleViolation,
        "reason.required",
        "reason",
        DecideApplication,
        life.state,
        at,
        officer,
        approve=False,
        reason=" ",
    )
    assert reject == "reason: a reason is required to reject the application"
    terminate = refusal(
        RuleViolation,
        "reason.required",
        "reason",
        TerminateProject,
        life.state,
        at,
        DERCI,
        reason=" ",
    )
    assert terminate == "reason: a reason is required to terminate the project"


def test_a_missing_reason_on_a_running_project():
    life = funded("IRP")
    life.report_on_time(utc(2027, 6, 1))
    report = next(r for r in life.state.reports if r.status.value == "accepted").report_id
    life.run_until(utc(2027, 6, 1))
    message = refusal(
        RuleViolation,
        "reason.required",
        "reason",
        ReviewReport,
        life.state,
        utc(2027, 6, 1),
        DERCI,
        report_id=report,
        accept=False,
        reason=" ",
    )
    assert message == f"reason: a reason is required to reject report {report}"
    message = refusal(
        RuleViolation,
        "reason.required",
        "reason",
        DecideRenewal,
        life.state,
        utc(2027, 6, 1),
        DERCI,
        grant=False,
        reason="\t",
    )
    assert message == "reason: a reason is required to refuse the renewal"


def test_every_step_has_words_not_a_class_name():
    for d in DECLARATIONS:
        assert d.action and d.action == d.action.lower().replace("derci", "DERCI"), d.name
        assert not re.search(r"[A-Z][a-z]+[A-Z]", d.action), d.name
        assert d.label[0].isupper() and d.label[1:] == d.action[1:], d.name


# -- counts read as sentences ----------------------------------------------------------


def test_approval_without_enough_reviews_reads_as_a_sentence():
    life = in_evaluation()
    message = refusal(
        RuleViolation,
        "evaluation.reviews",
        None,
        DecideApplication,
        life.state,
        utc(2026, 3, 10),
        INSTITUTE,
        approve=True,
        awarded_eur=60_000,
        reason="good",
    )
    assert message == "approval needs at least one review; none has been submitted"

    two = Policy(min_reviews_to_approve=2)
    life = in_evaluation(two)
    life.evaluate(utc(2026, 3, 10))
    life.run_until(utc(2026, 3, 25))
    assert len(life.state.reviews) == 1
    message = refusal(
        RuleViolation,
        "evaluation.reviews",
        None,
        DecideApplication,
        life.state,
        utc(2026, 3, 25),
        INSTITUTE,
        two,
        approve=True,
        awarded_eur=60_000,
        reason="good",
    )
    assert message == "approval needs at least two reviews; one has been submitted"


def test_the_renewal_limit_reads_as_a_sentence():
    life = funded("IRP")
    life.report_on_time(utc(2030, 7, 1))
    life.do(RequestRenewal, utc(2030, 7, 1), pi_actor(), requested_eur=60_000)
    life.do(DecideRenewal, utc(2030, 8, 1), DERCI, grant=True, awarded_eur=60_000, reason="ok")
    life.report_on_time(utc(2035, 7, 1))
    life.run_until(utc(2035, 7, 1))
    message = refusal(
        RuleViolation,
        "renewal.limit",
        None,
        RequestRenewal,
        life.state,
        utc(2035, 7, 1),
        pi_actor(),
        requested_eur=60_000,
    )
    assert message == "an IRP may be renewed at most once; it has already been renewed once"


def test_an_iea_is_not_renewable_without_naming_code():
    life = funded("IEA")
    life.report_on_time(utc(2028, 6, 1))
    life.run_until(utc(2028, 6, 1))
    message = refusal(
        RuleViolation,
        "renewal.not_renewable",
        None,
        RequestRenewal,
        life.state,
        utc(2028, 6, 1),
        pi_actor(),
        requested_eur=10_000,
    )
    assert message == ("an IEA is not renewable; at its end it may be followed by a successor IRP")


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "none"), (1, "one"), (2, "two"), (10, "ten"), (11, "11")],
)
def test_small_numbers_are_words(n, words):
    assert wording.number(n) == words


def test_counts_and_times():
    assert wording.count(1, "review") == "one review"
    assert wording.count(3, "review") == "three reviews"
    assert wording.count(2, "month") == "two months"
    assert [wording.times(n) for n in (1, 2, 3, 12)] == [
        "once",
        "twice",
        "three times",
        "12 times",
    ]
    assert wording.either(["a"]) == "a"
    assert wording.either(["a", "b", "c"]) == "a, b or c"
    assert wording.a_role(Role.INSTITUTE_OFFICER) == "an institute officer"
    assert wording.a_role(Role.DERCI_OFFICER) == "a DERCI officer"


# -- the IEA call: when the next one opens and closes ----------------------------------


def _iea(at: datetime, policy: Policy = DEFAULT_POLICY, call_year: int | None = None) -> str:
    call = None if call_year is None else iea_call_window(call_year, policy)
    return refusal(
        RuleViolation,
        "call.closed",
        None,
        SubmitApplication,
        fold([]),
        at,
        pi_actor(),
        policy,
        project_id="P-1",
        application=application("IEA"),
        call=call,
    )


_ONLY = "an IEA application is accepted only during DERCI's annual call; "


def test_an_iea_application_before_the_call_says_when_it_opens_and_closes():
    assert _iea(utc(2027, 3, 10)) == (
        _ONLY + "the next call opens on 1 June 2027 and closes on 15 September 2027"
    )


def test_an_iea_application_after_the_call_says_when_the_next_one_opens():
    assert _iea(utc(2026, 10, 1)) == (
        _ONLY + "the next call opens on 1 June 2027 and closes on 15 September 2027"
    )
    assert _iea(utc(2026, 10, 1), call_year=2026) == (
        _ONLY + "call IEA-2026 closed on 15 September 2026; "
        "the next call opens on 1 June 2027 and closes on 15 September 2027"
    )


def test_an_iea_application_to_a_call_not_open_yet_says_when_it_opens():
    assert _iea(utc(2026, 5, 1), call_year=2026) == (
        _ONLY + "the next call opens on 1 June 2026 and closes on 15 September 2026"
    )


def test_an_iea_application_when_the_calendar_says_open_but_no_call_was_opened():
    assert _iea(utc(2026, 7, 1)) == (
        _ONLY + "the 2026 call, from 1 June 2026 to 15 September 2026, has not been opened"
    )


def test_the_call_dates_follow_the_policy_calendar():
    spring = Policy(
        iea_call=CallCalendar(opens_month=3, opens_day=10, closes_month=4, closes_day=28)
    )
    assert _iea(utc(2026, 5, 1), spring) == (
        _ONLY + "the next call opens on 10 March 2027 and closes on 28 April 2027"
    )


# -- phases in words elsewhere -----------------------------------------------------------


def test_a_second_submission_says_the_phase_in_words():
    life = in_evaluation()
    message = refusal(
        IllegalTransition,
        "project.exists",
        None,
        SubmitApplication,
        life.state,
        utc(2026, 3, 10),
        pi_actor(),
        project_id="P-7",
        application=application("IRP"),
    )
    assert message == "project P-7 already exists (it is under evaluation)"


def test_a_reminder_on_a_finished_project_says_the_phase_in_words():
    life = in_evaluation()
    life.do(DecideApplication, utc(2026, 3, 12), INSTITUTE, approve=False, reason="weak")
    message = refusal(
        IllegalTransition,
        "phase",
        None,
        RecordReminder,
        life.state,
        utc(2026, 3, 13),
        Actor(id="system", role=Role.SYSTEM),
        reminder="review_due",
        key="k",
        due_at=utc(2026, 3, 20),
        recipients=("x",),
        subject="s",
    )
    assert message == "no reminder is sent for project P-7: it is rejected"
