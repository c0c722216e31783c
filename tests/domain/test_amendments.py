"""Amendments: what was approved changes while a project is active, by an officer, with a
reason; each rule refuses in its own words, naming its field, and records nothing. The
automatic steps follow the amended state: a new term end, a suspension."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.calendar import add_months, add_years
from domain.commands import (
    AddPartnerLab,
    AmendBudget,
    ChangeLocation,
    CloseProject,
    ExtendTerm,
    ReleaseTranche,
    RemovePartnerLab,
    ReplaceCoordinator,
    RequestAmendment,
    RequestRenewal,
    ResumeProject,
    SubmitReport,
    SuspendProject,
)
from domain.errors import DomainError, IllegalTransition, NotPermitted, RuleViolation
from domain.events import (
    AMENDMENT_EVENT_TYPES,
    EVENT_LIST_ADAPTER,
    AmendmentKind,
    ReminderKind,
)
from domain.evolve import fold
from domain.open_steps import open_steps
from domain.policy import DEFAULT_POLICY, Policy
from domain.state import Phase, TrancheStatus
from tests.builders import DERCI, INSTITUTE, pi_actor, utc
from tests.domain.life import Life
from tests.domain.test_lifecycle import finish, funded

WHY = "agreed with the partners"


def refused(
    life: Life,
    error: type[DomainError],
    message: str,
    rule: str,
    field: str | None,
    cls: type[Any],
    at: Any,
    actor: Any = INSTITUTE,
    **fields: Any,
) -> None:
    """The exact message, rule and field; nothing recorded."""
    before, recorded = life.state, len(life.events)
    with pytest.raises(error) as err:
        life.do(cls, at, actor, **fields)
    assert type(err.value) is error
    assert (str(err.value), err.value.rule, err.value.field) == (message, rule, field)
    assert life.state == before and len(life.events) == recorded


def last(life: Life) -> Any:
    return life.events[-1]


# --- budget ---------------------------------------------------------------------------------


def test_a_budget_change_recomputes_the_unpaid_tranches_and_the_term_pays_it():
    life = funded("IRP")  # 72,001 EUR from 2026-06-01: tranche 1 (14,401) paid
    at = utc(2026, 9, 1)
    life.run_until(at)
    life.do(AmendBudget, at, INSTITUTE, awarded_eur=60_000, reason="institute budget cut")
    event = last(life)
    assert event.type == "BudgetAmended"
    assert (event.actor, event.occurred_at, event.reason) == (INSTITUTE, at, "institute budget cut")
    assert (event.data.previous_eur, event.data.awarded_eur) == (72_001, 60_000)
    assert [(t.year, t.amount_eur) for t in event.data.tranches] == [
        (2, 11_400),
        (3, 11_400),
        (4, 11_400),
        (5, 11_399),
    ]
    term = life.state.term
    assert term.awarded_eur == life.state.awarded_eur == 60_000
    assert [t.amount_eur for t in term.tranches] == [14_401, 11_400, 11_400, 11_400, 11_399]
    finish(life)
    assert life.state.released_eur == 60_000


def test_a_withheld_tranche_is_recomputed_too():
    life = funded("IRP")
    late = utc(2027, 7, 1)  # tranche 2 fell due on 2027-06-01 without report year 1
    life.report_on_time(late, skip=frozenset({"term1-year1"}))
    assert life.state.tranche(2).status is TrancheStatus.WITHHELD
    life.do(AmendBudget, late, DERCI, awarded_eur=75_000, reason="top-up")
    assert [t.amount_eur for t in life.state.term.tranches] == [
        14_401,
        15_150,
        15_150,
        15_150,
        15_149,
    ]


def test_budget_refusals():
    life = funded("IRP")
    at = utc(2026, 9, 1)
    refused(
        life,
        RuleViolation,
        "awarded amount 90000 EUR outside IRP range 50000–75000",
        "funding.range",
        "awarded_eur",
        AmendBudget,
        at,
        awarded_eur=90_000,
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "awarded_eur: the budget of term 1 is already 72,001 EUR",
        "budget.unchanged",
        "awarded_eur",
        AmendBudget,
        at,
        awarded_eur=72_001,
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "reason: a reason is required to change the budget",
        "reason.required",
        "reason",
        AmendBudget,
        at,
        awarded_eur=60_000,
        reason=" ",
    )
    refused(
        life,
        NotPermitted,
        "coordinator pi-durand may not change the budget; "
        "only a DERCI officer or an institute officer may",
        "role",
        None,
        AmendBudget,
        at,
        pi_actor(),
        awarded_eur=60_000,
        reason=WHY,
    )
    # four tranches paid (57,601 EUR): a budget must leave something for the fifth
    life.report_on_time(utc(2029, 7, 1))
    refused(
        life,
        RuleViolation,
        "awarded_eur: term 1 has already paid 57,601 EUR; a budget of 55,000 EUR leaves "
        "nothing for its one unpaid tranche",
        "budget.below_paid",
        "awarded_eur",
        AmendBudget,
        utc(2029, 7, 1),
        awarded_eur=55_000,
        reason=WHY,
    )
    life.report_on_time(utc(2030, 7, 1))
    refused(
        life,
        IllegalTransition,
        "every tranche of term 1 is paid: its budget can no longer change",
        "budget.paid",
        None,
        AmendBudget,
        utc(2030, 7, 1),
        awarded_eur=60_000,
        reason=WHY,
    )


def test_amendments_apply_to_active_projects_only():
    life = funded("IEA")
    finish(life)
    refused(
        life,
        IllegalTransition,
        "You cannot change the budget now: the project is closed, not active",
        "phase",
        None,
        AmendBudget,
        life.clock,
        awarded_eur=12_000,
        reason=WHY,
    )


# --- partner labs ---------------------------------------------------------------------------


def test_a_partner_lab_joins_and_leaves_an_irn():
    life = funded("IRN")  # LIG, Lyon 1, São Paulo, Tokyo, McGill
    at = utc(2026, 9, 1)
    life.do(
        AddPartnerLab,
        at,
        DERCI,
        lab_name="LAAS Toulouse",
        lab_country="FR",
        lab_cnrs=True,
        reason="joins the network",
    )
    assert last(life).type == "PartnerLabAdded" and last(life).reason == "joins the network"
    assert last(life).data.lab.model_dump() == {
        "name": "LAAS Toulouse",
        "country": "FR",
        "cnrs": True,
    }
    assert life.state.application.labs[-1].name == "LAAS Toulouse"
    life.do(RemovePartnerLab, at, INSTITUTE, lab_name="McGill Physics", reason="left")
    assert last(life).type == "PartnerLabRemoved"
    assert last(life).data.lab.country == "CA"
    assert "McGill Physics" not in [lab.name for lab in life.state.application.labs]
    # an IRN keeps at least two foreign labs
    refused(
        life,
        RuleViolation,
        "University of Tokyo ISSP cannot leave the IRN: IRN requires at least two foreign "
        "labs; got 1: Universidade de São Paulo IME",
        "partners",
        "lab_name",
        RemovePartnerLab,
        at,
        lab_name="University of Tokyo ISSP",
        reason=WHY,
    )


def test_an_iea_cannot_gain_a_second_foreign_country():
    life = funded("IEA")
    refused(
        life,
        RuleViolation,
        "University of Tokyo ISSP cannot join the IEA: IEA requires exactly one foreign lab; "
        "got 2: Universidade de São Paulo IME, University of Tokyo ISSP; IEA requires exactly "
        "one foreign country; got 2: BR, JP",
        "partners",
        "lab_name",
        AddPartnerLab,
        utc(2027, 3, 1),
        lab_name="University of Tokyo ISSP",
        lab_country="JP",
        reason=WHY,
    )


def test_an_irl_stays_with_one_partner_country():
    life = funded("IRL")  # LIG, Tokyo, Kyoto
    at = utc(2026, 9, 1)
    refused(
        life,
        RuleViolation,
        "McGill Physics cannot join the IRL: IRL requires exactly one foreign country; "
        "got 2: CA, JP",
        "partners",
        "lab_name",
        AddPartnerLab,
        at,
        lab_name="McGill Physics",
        lab_country="CA",
        reason=WHY,
    )
    life.do(AddPartnerLab, at, DERCI, lab_name="Osaka University", lab_country="JP", reason=WHY)
    assert life.state.application.foreign_countries == ("JP",)


def test_partner_lab_refusals():
    life = funded("IRP")  # LIG, LPENS, São Paulo, UNICAMP
    at = utc(2026, 9, 1)
    refused(
        life,
        RuleViolation,
        "lab_country: XX is not a country (an ISO 3166-1 alpha-2 code, such as FR or BR)",
        "country.unknown",
        "lab_country",
        AddPartnerLab,
        at,
        lab_name="Nowhere Lab",
        lab_country="XX",
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "lab_name: unicamp ifgw is already a partner lab of P-1",
        "lab.duplicate",
        "lab_name",
        AddPartnerLab,
        at,
        lab_name="unicamp ifgw",
        lab_country="BR",
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "USP Física cannot join the IRP: CNRS lab 'USP Física' must be located in France "
        "(FR); got BR",
        "partners",
        "lab_name",
        AddPartnerLab,
        at,
        lab_name="USP Física",
        lab_country="BR",
        lab_cnrs=True,
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "lab_name: ETH Zurich is not a partner lab of P-1; its partner labs are LIG Grenoble, "
        "LPENS Paris, Universidade de São Paulo IME and UNICAMP IFGW",
        "lab.unknown",
        "lab_name",
        RemovePartnerLab,
        at,
        lab_name="ETH Zurich",
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "lab_name: LIG Grenoble is the coordinator's lab; replace the coordinator first",
        "lab.coordinator",
        "lab_name",
        RemovePartnerLab,
        at,
        lab_name="LIG Grenoble",
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "reason: a reason is required to add a partner lab",
        "reason.required",
        "reason",
        AddPartnerLab,
        at,
        lab_name="LAAS Toulouse",
        lab_country="FR",
        reason="\t",
    )


# --- coordinator ----------------------------------------------------------------------------

NEW_PI = {
    "coordinator_id": "pi-moreau",
    "coordinator_name": "Julie Moreau",
    "coordinator_email": "julie.moreau@cnrs.fr",
    "coordinator_lab": "LPENS Paris",
}


def test_the_new_coordinator_reports_and_is_reminded_the_former_one_no_longer():
    life = funded("IRP")
    at = utc(2026, 9, 1)
    life.do(ReplaceCoordinator, at, DERCI, **NEW_PI, reason="Claire Durand retires")
    event = last(life)
    assert event.type == "CoordinatorReplaced" and event.reason == "Claire Durand retires"
    assert event.data.previous.id == "pi-durand"
    assert event.data.coordinator.model_dump() == {
        "id": "pi-moreau",
        "name": "Julie Moreau",
        "email": "julie.moreau@cnrs.fr",
        "lab": "LPENS Paris",
    }
    assert life.state.application.coordinator.id == "pi-moreau"
    report = life.state.reports[0]
    life.run_until(report.due_at - timedelta(days=20))
    reminders = [e for e in life.of_type("ReminderSent") if e.occurred_at > at]
    assert reminders and all(e.data.recipients == ("pi-moreau",) for e in reminders)
    opens = report.opens_at + timedelta(days=1)
    with pytest.raises(NotPermitted, match="pi-durand is not the coordinator of this project"):
        life.do(SubmitReport, opens, pi_actor(), report_id=report.report_id, summary="x")
    life.do(SubmitReport, opens, pi_actor("pi-moreau"), report_id=report.report_id, summary="y")


def test_coordinator_refusals():
    life = funded("IRP")
    at = utc(2026, 9, 1)
    refused(
        life,
        RuleViolation,
        "coordinator_id: pi-durand is already the coordinator of P-1",
        "coordinator.same",
        "coordinator_id",
        ReplaceCoordinator,
        at,
        **{**NEW_PI, "coordinator_id": "pi-durand"},
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "coordinator_lab: the coordinator comes from a CNRS lab of the project "
        "(LIG Grenoble and LPENS Paris); got UNICAMP IFGW",
        "coordinator.lab",
        "coordinator_lab",
        ReplaceCoordinator,
        at,
        **{**NEW_PI, "coordinator_lab": "UNICAMP IFGW"},
        reason=WHY,
    )
    refused(
        life,
        NotPermitted,
        "coordinator pi-durand may not replace the coordinator; "
        "only a DERCI officer or an institute officer may",
        "role",
        None,
        ReplaceCoordinator,
        at,
        pi_actor(),
        **NEW_PI,
        reason=WHY,
    )


# --- location -------------------------------------------------------------------------------


def test_an_irl_moves():
    life = funded("IRL")  # Tokyo, Japan
    at = utc(2026, 9, 1)
    life.do(ChangeLocation, at, DERCI, location="Kyoto, Japan", reason="new building")
    assert last(life).type == "LocationChanged"
    assert (last(life).data.previous, last(life).data.location) == ("Tokyo, Japan", "Kyoto, Japan")
    assert life.state.application.location == "Kyoto, Japan"
    refused(
        life,
        RuleViolation,
        "location: the IRL is already located in Kyoto, Japan",
        "location.unchanged",
        "location",
        ChangeLocation,
        at,
        location=" kyoto, japan",
        reason=WHY,
    )


def test_only_an_irl_has_a_location():
    life = funded("IRP")
    refused(
        life,
        RuleViolation,
        "an IRP has no identified location: only an IRL's location changes",
        "location.none",
        "location",
        ChangeLocation,
        utc(2026, 9, 1),
        location="Paris",
        reason=WHY,
    )


# --- extension ------------------------------------------------------------------------------


def test_an_extension_moves_the_term_end_renewal_window_reminders_and_final_report():
    life = funded("IRP")  # 2026-06-01 to 2031-06-01
    old_end = life.state.term.ends_at
    life.report_on_time(utc(2029, 1, 1))
    at = utc(2029, 1, 1)
    life.do(ExtendTerm, at, INSTITUTE, months=6, reason="field work delayed by floods")
    event = last(life)
    assert event.type == "TermExtended" and event.reason == "field work delayed by floods"
    assert (event.data.months, event.data.previous_ends_at, event.data.ends_at) == (
        6,
        old_end,
        utc(2031, 12, 1),
    )
    new_end = life.state.term.ends_at
    assert new_end == utc(2031, 12, 1)
    # the renewal window follows the new end
    window = add_months(new_end, -DEFAULT_POLICY.renewal_window_months_before_end)
    refused(
        life,
        RuleViolation,
        "renewal requests for term 1 are accepted from 2030-12-01 until the term ends on "
        "2031-12-01; it is 2030-07-01",
        "renewal.window",
        None,
        RequestRenewal,
        utc(2030, 7, 1),
        pi_actor(),
        requested_eur=60_000,
    )
    assert window == utc(2030, 12, 1)
    finish(life)
    renewal = [
        e for e in life.of_type("ReminderSent") if e.data.kind is ReminderKind.RENEWAL_WINDOW
    ]
    assert [(e.data.key, e.occurred_at, e.data.due_at) for e in renewal] == [
        ("renewal:term1+ext1:6m", utc(2031, 6, 1), new_end),
        ("renewal:term1+ext1:3m", utc(2031, 9, 1), new_end),
    ]
    closed = life.of_type("ProjectClosed")[0]
    assert closed.occurred_at == new_end
    assert closed.data.final_report_due_at == add_months(new_end, 3)


def test_an_extension_after_the_reminders_reminds_of_the_new_end():
    life = funded("IEA")  # 2027-01-01 to 2029-01-01, not renewable
    at = utc(2028, 11, 15)  # both term-ending reminders sent
    life.report_on_time(at)
    life.do(ExtendTerm, at, DERCI, months=6, reason="visa delays")
    finish(life)
    ending = [e for e in life.of_type("ReminderSent") if e.data.kind is ReminderKind.TERM_ENDING]
    assert [(e.data.key, e.occurred_at.date().isoformat(), e.data.due_at) for e in ending] == [
        ("term-ending:term1:6m", "2028-07-01", utc(2029, 1, 1)),
        ("term-ending:term1:3m", "2028-10-01", utc(2029, 1, 1)),
        ("term-ending:term1+ext1:6m", "2029-01-01", utc(2029, 7, 1)),
        ("term-ending:term1+ext1:3m", "2029-04-01", utc(2029, 7, 1)),
    ]
    assert life.of_type("ProjectClosed")[0].occurred_at == utc(2029, 7, 1)


def test_extension_refusals():
    life = funded("IRP")
    at = utc(2027, 1, 1)
    refused(
        life,
        RuleViolation,
        "months: a term may be extended by at most 12 months; got 13",
        "extension.limit",
        "months",
        ExtendTerm,
        at,
        months=13,
        reason=WHY,
    )
    life.do(ExtendTerm, at, DERCI, months=8, reason=WHY)
    refused(
        life,
        RuleViolation,
        "months: a term may be extended by at most 12 months in all; term 1 has already "
        "been extended by eight months, so by four months more at most",
        "extension.limit",
        "months",
        ExtendTerm,
        at,
        months=6,
        reason=WHY,
    )
    life.do(ExtendTerm, at, DERCI, months=4, reason=WHY)
    refused(
        life,
        RuleViolation,
        "months: a term may be extended by at most 12 months in all; term 1 has already "
        "been extended by 12 months, so no more",
        "extension.limit",
        "months",
        ExtendTerm,
        at,
        months=1,
        reason=WHY,
    )
    assert life.state.term.ends_at == add_years(utc(2027, 6, 1), 5)


def test_an_extension_is_not_decided_once_a_renewal_is_asked_for():
    life = funded("IRP")
    at = utc(2030, 7, 1)
    life.report_on_time(at)
    life.do(RequestRenewal, at, pi_actor(), requested_eur=60_000)
    refused(
        life,
        IllegalTransition,
        "the renewal of term 1 is requested: the term is no longer extended",
        "extension.renewal",
        None,
        ExtendTerm,
        at,
        months=3,
        reason=WHY,
    )


def test_a_policy_without_extensions():
    life = Life("P-0", Policy(max_extension_months=0))
    life.submit("IRP", utc(2026, 3, 2))
    life.evaluate(utc(2026, 3, 10))
    life.approve(utc(2026, 4, 15), 60_000, starts=utc(2026, 6, 1))
    life.run_until(utc(2026, 6, 1))
    refused(
        life,
        RuleViolation,
        "months: under its policy, an IRP term is not extended",
        "extension.limit",
        "months",
        ExtendTerm,
        utc(2027, 1, 1),
        months=1,
        reason=WHY,
    )


def test_a_policy_recorded_before_extensions_reads_with_the_default():
    recorded = DEFAULT_POLICY.model_dump(mode="json")
    del recorded["max_extension_months"]
    policy = Policy.model_validate(recorded)
    assert policy.max_extension_months == 12 and policy == DEFAULT_POLICY
    # and one recorded before the award rule still keeps its awards above the request
    del recorded["award_may_exceed_request"]
    assert Policy.model_validate(recorded).award_may_exceed_request is True


# --- suspension -----------------------------------------------------------------------------


def test_a_suspended_project_pays_nothing_until_resumed_then_what_fell_due():
    life = funded("IRP")  # tranche 2 due 2027-06-01, tranche 3 2028-06-01
    life.report_on_time(utc(2027, 5, 20))  # report year 1 accepted
    suspended = utc(2027, 5, 20)
    life.do(SuspendProject, suspended, DERCI, reason="audit of the partner's accounts")
    assert last(life).type == "ProjectSuspended" and life.state.suspended_since == suspended
    assert life.state.phase is Phase.ACTIVE
    count = len(life.events)
    life.run_until(utc(2028, 6, 15))
    assert len(life.events) == count  # no tranche, no reminder, nothing
    refused(
        life,
        IllegalTransition,
        "the project is suspended since 2027-05-20: tranche 2 is paid once it is resumed",
        "project.suspended",
        None,
        ReleaseTranche,
        utc(2028, 6, 15),
        DERCI,
        year=2,
    )
    resumed = utc(2028, 6, 15)
    life.do(ResumeProject, resumed, INSTITUTE, reason="audit cleared")
    assert last(life).data.suspended_since == suspended
    assert life.state.suspended_since is None and life.state.resumed_at == resumed
    life.run_until(resumed)
    after = life.events[count + 1 :]
    # tranche 2's report is accepted: paid; tranche 3's (year 2) is not: withheld
    assert [(e.type, e.occurred_at) for e in after[:2]] == [
        ("TrancheReleased", resumed),
        ("TrancheWithheld", resumed),
    ]
    assert life.state.tranche(2).status is TrancheStatus.RELEASED
    assert life.state.tranche(3).status is TrancheStatus.WITHHELD
    # the reminders of report year 2 fell due during the suspension: not sent late
    keys = [e.data.key for e in life.of_type("ReminderSent")]
    assert not [k for k in keys if k.startswith("report:term1-year2")]


def test_a_suspension_holds_the_term_end():
    life = funded("IEA")  # ends 2029-01-01
    life.report_on_time(utc(2028, 12, 1))
    life.do(SuspendProject, utc(2028, 12, 1), DERCI, reason="partner lab closed")
    life.run_until(utc(2029, 6, 1))
    assert life.state.phase is Phase.ACTIVE
    refused(
        life,
        IllegalTransition,
        "the project is suspended since 2028-12-01: it closes once it is resumed",
        "project.suspended",
        None,
        CloseProject,
        utc(2029, 6, 1),
        DERCI,
        reason="term over",
    )
    # an extension while suspended, past the old end, is still decided
    life.do(ExtendTerm, utc(2029, 6, 1), DERCI, months=3, reason="compensate the suspension")
    life.do(ResumeProject, utc(2029, 6, 1), DERCI, reason="partner lab reopened")
    life.run_until(utc(2029, 6, 1))
    assert life.state.phase is Phase.CLOSED  # its extended end (2029-04-01) had passed
    assert life.of_type("ProjectClosed")[0].occurred_at == utc(2029, 6, 1)


def test_suspension_refusals():
    life = funded("IRP")
    at = utc(2026, 9, 1)
    refused(
        life,
        IllegalTransition,
        "the project is not suspended",
        "suspension.none",
        None,
        ResumeProject,
        at,
        reason=WHY,
    )
    life.do(SuspendProject, at, DERCI, reason=WHY)
    refused(
        life,
        IllegalTransition,
        "the project is already suspended (since 2026-09-01)",
        "suspension.already",
        None,
        SuspendProject,
        at,
        reason=WHY,
    )
    refused(
        life,
        RuleViolation,
        "reason: a reason is required to resume the project",
        "reason.required",
        "reason",
        ResumeProject,
        at,
        reason=" ",
    )


# --- a coordinator's request ----------------------------------------------------------------


def test_a_coordinator_requests_an_amendment_an_officer_applies_it():
    life = funded("IRP")
    at = utc(2030, 1, 10)
    life.report_on_time(at)
    life.do(
        RequestAmendment,
        at,
        pi_actor(),
        amendment=AmendmentKind.EXTEND,
        details="six more months",
        reason="the instrument was delivered a year late",
    )
    event = last(life)
    assert event.type == "AmendmentRequested" and event.actor == pi_actor()
    assert (event.data.amendment, event.data.details) == (AmendmentKind.EXTEND, "six more months")
    assert event.reason == "the instrument was delivered a year late"
    life.do(ExtendTerm, at + timedelta(days=3), DERCI, months=6, reason="as requested")
    assert life.state.term.ends_at == utc(2031, 12, 1)
    refused(
        life,
        NotPermitted,
        "DERCI officer derci-martin may not request an amendment; only a coordinator may",
        "role",
        None,
        RequestAmendment,
        at,
        DERCI,
        amendment=AmendmentKind.BUDGET,
        details="more",
        reason=WHY,
    )
    refused(
        life,
        NotPermitted,
        "pi-other is not the coordinator of this project (the coordinator is pi-durand)",
        "coordinator",
        None,
        RequestAmendment,
        at,
        pi_actor("pi-other"),
        amendment=AmendmentKind.BUDGET,
        details="more",
        reason=WHY,
    )


# --- the record -----------------------------------------------------------------------------


def every_amendment() -> Life:
    """An IRL amended every way, its coordinator's request included."""
    life = funded("IRL", "IRL-AMENDED")
    at = utc(2026, 9, 1)
    life.do(AmendBudget, at, DERCI, awarded_eur=80_000, reason=WHY)
    life.do(AddPartnerLab, at, DERCI, lab_name="Osaka University", lab_country="JP", reason=WHY)
    life.do(RemovePartnerLab, at, DERCI, lab_name="Osaka University", reason=WHY)
    life.do(
        ReplaceCoordinator, at, DERCI, **{**NEW_PI, "coordinator_lab": "LIG Grenoble"}, reason=WHY
    )
    life.do(ChangeLocation, at, DERCI, location="Kyoto, Japan", reason=WHY)
    life.do(ExtendTerm, at, DERCI, months=2, reason=WHY)
    life.do(SuspendProject, at, DERCI, reason=WHY)
    life.do(ResumeProject, at + timedelta(days=1), DERCI, reason=WHY)
    pi = pi_actor("pi-moreau")
    life.do(RequestAmendment, at, pi, amendment="budget", details="more", reason=WHY)
    return life


def test_amendment_events_read_back_and_fold_to_the_same_state():
    life = every_amendment()
    assert {e.type for e in life.events} >= AMENDMENT_EVENT_TYPES
    stored = EVENT_LIST_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json(life.events))
    assert stored == life.events
    assert fold(stored) == life.state
    assert all(e.reason == WHY for e in stored[-9:])


# --- what the pages offer -------------------------------------------------------------------


def _offered(life: Life, actor: Any) -> set[str]:
    return {s.command for s in open_steps(life.state, actor, life.clock, DEFAULT_POLICY)}


AMENDS = {
    "AmendBudget",
    "AddPartnerLab",
    "RemovePartnerLab",
    "ReplaceCoordinator",
    "ChangeLocation",
    "ExtendTerm",
    "SuspendProject",
    "ResumeProject",
}


def test_officers_are_offered_the_amendments_that_apply_and_coordinators_the_request():
    irp = funded("IRP")
    assert _offered(irp, INSTITUTE) & AMENDS == AMENDS - {"ChangeLocation", "ResumeProject"}
    assert "RequestAmendment" in _offered(irp, pi_actor())
    assert not _offered(irp, INSTITUTE) & {"RequestAmendment"}
    irp.do(SuspendProject, irp.clock, DERCI, reason=WHY)
    assert _offered(irp, DERCI) & AMENDS == AMENDS - {"ChangeLocation", "SuspendProject"}
    assert "ChangeLocation" in _offered(funded("IRL"), DERCI)
    assert "AddPartnerLab" not in _offered(funded("IEA"), DERCI)  # one lab each side, no more
