"""The project history told as sentences (web.narration): every event type has its sentence
in English and in French, with its facts; reminders fold under what they remind of; what
happened late says so."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.events import EVENT_ADAPTER, EVENT_TYPES
from readmodels.queries import ActorOut, HistoryEntry
from tests.builders import application
from web.narration import NBSP, NNBSP, SENTENCES, day, eur, tell

T0 = datetime(2027, 1, 2, 9, 30, tzinfo=UTC)
SHA = "a" * 64
IRP = application("IRP").model_dump(mode="json")
REVIEWER = {"id": "rev-ana", "name": "Ana Lopez", "lab": "ETH Zurich", "country": "CH"}
PLAN = {
    "tranches": [
        {"year": y, "due_at": f"{2026 + y}-05-26T00:00:00Z", "amount_eur": 11_000}
        for y in range(1, 6)
    ],
    "reports": [
        {"report_id": f"term1-year{y}", "year": y, "due_at": f"{2027 + y}-05-01T00:00:00Z"}
        for y in range(1, 5)
    ],
}
OFFICER = ("derci-martin", "derci_officer")
NAMES = {"derci-martin": "Élise Martin", "insu-dupont": "Jean Dupont"}

# a realistic payload of every event type (checked against the domain's own schema)
SAMPLES: dict[str, tuple[dict[str, Any], tuple[str, str]]] = {
    "ApplicationSubmitted": (
        {"application": IRP, "call_id": "IRP-2027"},
        ("pi-durand", "coordinator"),
    ),
    "EligibilityConfirmed": ({"evaluation_deadline": "2027-03-01T00:00:00Z"}, ("system", "system")),
    "ApplicationDeclaredIneligible": ({"findings": ["no CNRS lab"]}, ("system", "system")),
    "ReviewerAssigned": ({"reviewer": REVIEWER}, ("insu-dupont", "institute_officer")),
    "ReviewSubmitted": (
        {
            "reviewer_id": "rev-ana",
            "scores": {"science": 5, "feasibility": 4},
            "recommendation": "fund",
        },
        ("rev-ana", "reviewer"),
    ),
    "ReminderSent": (
        {
            "kind": "report_due",
            "key": "report:term1-year1:30d",
            "due_at": "2028-05-01T00:00:00Z",
            "recipients": ["pi-durand"],
            "subject": "Report term1-year1 of P is due on 2028-05-01",
        },
        ("system", "system"),
    ),
    "ApplicationApproved": (
        {"awarded_eur": 60_000, "term_starts_at": "2027-01-01T00:00:00Z"},
        OFFICER,
    ),
    "ApplicationRejected": ({}, OFFICER),
    "TermStarted": (
        {
            "term_number": 1,
            "starts_at": "2027-01-01T00:00:00Z",
            "ends_at": "2031-12-31T00:00:00Z",
            "awarded_eur": 55_000,
            **PLAN,
        },
        ("system", "system"),
    ),
    "TrancheReleased": ({"term_number": 1, "year": 2, "amount_eur": 11_000}, ("system", "system")),
    "TrancheWithheld": (
        {"term_number": 1, "year": 2, "amount_eur": 11_000, "awaiting_report_id": "term1-year1"},
        ("system", "system"),
    ),
    "TrancheForfeited": (
        {"term_number": 1, "year": 2, "amount_eur": 11_000, "awaiting_report_id": "term1-year1"},
        ("system", "system"),
    ),
    "ReportSubmitted": (
        {"report_id": "term1-year1", "summary": "Two workshops held."},
        ("pi-durand", "coordinator"),
    ),
    "ReportAccepted": ({"report_id": "term1-year1"}, OFFICER),
    "ReportRejected": ({"report_id": "term1-year1"}, OFFICER),
    "RenewalRequested": ({"term_number": 1, "requested_eur": 70_000}, ("pi-durand", "coordinator")),
    "RenewalGranted": ({"term_number": 1, "awarded_eur": 65_000}, OFFICER),
    "RenewalRefused": ({"term_number": 1}, OFFICER),
    "ProjectClosed": ({"final_report_due_at": "2032-03-31T00:00:00Z"}, ("system", "system")),
    "ProjectTerminated": ({}, OFFICER),
    "SuccessorLinked": (
        {"successor_project_id": "IRP-2031-0007", "successor_instrument": "IRP"},
        OFFICER,
    ),
    "BudgetAmended": (
        {
            "term_number": 1,
            "previous_eur": 55_000,
            "awarded_eur": 50_000,
            "tranches": PLAN["tranches"][2:],
        },
        OFFICER,
    ),
    "PartnerLabAdded": (
        {"lab": {"name": "McGill Physics", "country": "CA", "cnrs": False}},
        OFFICER,
    ),
    "PartnerLabRemoved": (
        {"lab": {"name": "UNICAMP IFGW", "country": "BR", "cnrs": False}},
        OFFICER,
    ),
    "CoordinatorReplaced": (
        {
            "previous": IRP["coordinator"],
            "coordinator": {
                "id": "pi-blanc",
                "name": "Louis Blanc",
                "email": "lb@cnrs.example.fr",
                "lab": "LPENS Paris",
            },
        },
        OFFICER,
    ),
    "LocationChanged": ({"previous": "Grenoble", "location": "Paris"}, OFFICER),
    "TermExtended": (
        {
            "term_number": 1,
            "months": 6,
            "previous_ends_at": "2031-12-31T00:00:00Z",
            "ends_at": "2032-06-30T00:00:00Z",
        },
        OFFICER,
    ),
    "ProjectSuspended": ({"term_number": 1}, OFFICER),
    "ProjectResumed": ({"term_number": 1, "suspended_since": "2026-12-01T00:00:00Z"}, OFFICER),
    "AmendmentRequested": (
        {"amendment": "budget", "details": "one more workshop"},
        ("pi-durand", "coordinator"),
    ),
    "ProjectImported": (
        {
            "application": IRP,
            "past": {
                "awarded_eur": 55_000,
                "term_starts_at": "2025-01-01",
                "term_number": 1,
                "renewals": 0,
                "tranches_released": 2,
                "reports_accepted": ["term1-year1"],
                "decided_by": {"id": "derci-martin", "role": "derci_officer"},
                "reason": "approved by the 2024 committee",
            },
            "source": {"file_sha256": SHA, "entry": 3, "line": 5, "entry_sha256": SHA},
            "policy": {},
            "term_number": 1,
            "starts_at": "2025-01-01T00:00:00Z",
            "ends_at": "2029-12-31T00:00:00Z",
            **PLAN,
        },
        ("audit-import", "derci_officer"),
    ),
    "ContributionRecorded": (
        {
            "year": 2027,
            "source_kind": "partner",
            "source": "FAPESP",
            "country": "BR",
            "amount": 50_000,
            "currency": "BRL",
            "eur_rate": "0.17",
            "rate_date": "2027-01-02",
            "rate_source": "ECB",
            "eur_value": 8_500,
        },
        OFFICER,
    ),
}


def entry(
    type: str,
    data: dict[str, Any],
    actor: tuple[str, str] = ("system", "system"),
    at: datetime = T0,
    version: int = 1,
    reason: str | None = None,
) -> HistoryEntry:
    return HistoryEntry(
        version=version,
        type=type,
        occurred_at=at,
        recorded_at=at,
        actor=ActorOut(id=actor[0], role=actor[1]),
        reason=reason,
        data=data,
    )


def sample(type: str, reason: str | None = None) -> HistoryEntry:
    data, actor = SAMPLES[type]
    return entry(type, data, actor, reason=reason)


def said(events: list[HistoryEntry], lang: str) -> list[str]:
    return [x.text for x in tell(events, lang, NAMES).told]


def test_every_event_type_has_a_sample_the_domain_accepts():
    assert set(SAMPLES) == set(EVENT_TYPES)
    for type, (data, actor) in SAMPLES.items():
        if type == "ProjectImported":
            continue  # its policy is the domain's own object, not typed out here
        EVENT_ADAPTER.validate_python(
            {
                "event_id": uuid.uuid4(),
                "project_id": "IRP-2027-0001",
                "version": 1,
                "occurred_at": T0,
                "actor": {"id": actor[0], "role": actor[1]},
                "type": type,
                "data": data,
            }
        )


@pytest.mark.parametrize("type", EVENT_TYPES)
def test_every_event_type_is_a_sentence_in_each_language(type):
    assert type in SENTENCES, f"{type} has no sentence"
    en, fr = (said([sample(type)], lang) for lang in ("en", "fr"))
    assert len(en) == len(fr) == 1
    for text in (en[0], fr[0]):
        assert text and text[0].isupper()
        # no raw event type, no ISO date, no role as the code spells it
        assert not any(name in text for name in EVENT_TYPES), text
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text
        assert "_officer" not in text and "derci-martin" not in text
    assert en[0] != fr[0]


def test_exact_sentences_in_english_and_french():
    approved = entry(
        "ApplicationApproved",
        {"awarded_eur": 60_000, "term_starts_at": "2027-01-01T00:00:00Z"},
        OFFICER,
        reason="strong reviews",
    )
    assert said([approved], "en") == [
        "Approved by Élise Martin (DERCI officer), 60,000 EUR from 1 Jan 2027: strong reviews"
    ]
    approved = approved.model_copy(update={"reason": "évaluations solides"})
    assert said([approved], "fr") == [
        f"Approuvé par Élise Martin (chargé·e de mission DERCI), 60{NNBSP}000 EUR "
        f"à partir du 1er janvier 2027{NBSP}: évaluations solides"
    ]
    history = [sample("TermStarted"), sample("TrancheWithheld")]
    assert said(history, "en")[0] == (
        "Tranche 2 of 5 withheld (11,000 EUR): report term1-year1 not accepted by 26 May 2028"
    )
    assert said(history, "fr")[0] == (
        f"Tranche 2 sur 5 retenue (11{NNBSP}000 EUR){NBSP}: rapport term1-year1 non accepté "
        "au 26 mai 2028"
    )
    assert said([sample("EligibilityConfirmed")], "fr") == [
        f"Recevabilité confirmée automatiquement{NBSP}; les évaluations sont attendues "
        "pour le 1er mars 2027"
    ]


def test_days_and_amounts_as_each_language_writes_them():
    assert day("2027-01-02T00:00:00Z", "en") == "2 Jan 2027"
    assert day("2027-01-02T00:00:00Z", "fr") == "2 janvier 2027"
    assert day("2027-08-01", "fr") == "1er août 2027"
    assert eur(12_000, "en") == "12,000 EUR"
    assert eur(12_000, "fr") == f"12{NNBSP}000 EUR"


def test_the_decider_reads_the_scores_and_the_recommendation_by_name():
    history = [sample("ReviewerAssigned"), sample("ReviewSubmitted")]
    assert said(history, "en")[0] == "Review by Ana Lopez: fund (science 5/5, feasibility 4/5)"
    assert said(history, "fr")[0] == (
        f"Évaluation de Ana Lopez{NBSP}: financer (science 5/5, feasibility 4/5)"
    )
    assert said(history, "en")[1] == (
        "Ana Lopez (ETH Zurich, CH) assigned to review by Jean Dupont (institute officer)"
    )


def test_an_anonymised_reviewer_stays_anonymous():
    """The coordinator's history names reviewers "reviewer N" (readmodels.history_views)."""
    alias = {"id": "reviewer 1", "name": "reviewer 1", "lab": None, "country": None}
    history = [
        entry("ReviewerAssigned", {"reviewer": alias}, ("insu-dupont", "institute_officer")),
        entry(
            "ReviewSubmitted",
            {
                "reviewer_id": "reviewer 1",
                "scores": {"science": 3},
                "recommendation": "do_not_fund",
            },
            ("reviewer 1", "reviewer"),
        ),
    ]
    assert said(history, "en")[0] == "Review by Reviewer 1: do not fund (science 3/5)"
    assert said(history, "fr")[0].startswith("Évaluation de Évaluateur·rice 1")


def test_a_late_report_and_a_tranche_paid_late_say_so_with_both_dates():
    start = sample("TermStarted")
    withheld = entry(
        "TrancheWithheld",
        SAMPLES["TrancheWithheld"][0],
        at=datetime(2028, 5, 26, tzinfo=UTC),
    )
    report = entry(
        "ReportSubmitted",
        {"report_id": "term1-year1", "summary": "Late but done."},
        ("pi-durand", "coordinator"),
        at=datetime(2028, 5, 13, tzinfo=UTC),
    )
    paid = entry(
        "TrancheReleased",
        {"term_number": 1, "year": 2, "amount_eur": 11_000},
        at=datetime(2028, 7, 5, tzinfo=UTC),
    )
    story = tell([sample("ApplicationSubmitted"), start, report, withheld, paid], "en", NAMES)
    texts = [x.text for x in story.told]
    assert texts[0] == ("Tranche 2 of 5 paid (11,000 EUR), 40 days late: withheld on 26 May 2028")
    assert (
        "Report term1-year1 submitted by Claire Durand (coordinator), 12 days late "
        "(due on 1 May 2028)"
    ) in texts
    assert story.marks["tranche:1:2"] == [
        "withheld on 26 May 2028",
        "paid on 5 Jul 2028 (40 days late)",
    ]
    assert story.marks["report:term1-year1"] == ["submitted on 13 May 2028 (12 days late)"]
    fr = tell([start, report, withheld, paid], "fr", NAMES)
    assert fr.told[0].text == (
        f"Tranche 2 sur 5 versée (11{NNBSP}000 EUR), avec 40 jours de retard{NBSP}: "
        "retenue le 26 mai 2028"
    )


def test_reminders_fold_under_the_step_they_remind_of():
    def reminder(key: str, kind: str, at: datetime) -> HistoryEntry:
        return entry(
            "ReminderSent",
            {
                "kind": kind,
                "key": key,
                "due_at": "2028-05-01T00:00:00Z",
                "recipients": ["pi-durand"],
                "subject": "s",
            },
            at=at,
        )

    history = [sample("ApplicationSubmitted"), sample("TermStarted")]
    history += [
        reminder(f"report:term1-year1:{d}d", "report_due", T0 + timedelta(days=i))
        for i, d in enumerate((30, 14, 7))
    ]
    history.append(
        entry(
            "ReportSubmitted",
            {"report_id": "term1-year1", "summary": "ok"},
            ("pi-durand", "coordinator"),
            at=T0 + timedelta(days=5),
        )
    )
    history += [
        reminder(f"report:term1-year2:{d}d", "report_due", T0 + timedelta(days=10 + d))
        for d in (1, 2)
    ]
    story = tell(history, "fr", NAMES)
    assert [x.type for x in story.told] == [
        "ReminderSent",
        "ReportSubmitted",
        "TermStarted",
        "ApplicationSubmitted",
    ]
    submitted = story.told[1]
    assert submitted.reminders_label == "3 rappels"
    assert submitted.reminders[0].text == (
        f"Rappel à Claire Durand{NBSP}: rapport term1-year1 attendu le 1er mai 2028"
    )
    waiting = story.told[0]  # reminders of a report not submitted yet: one line of their own
    assert waiting.entry is None and waiting.reminders_label == "2 rappels"
    assert tell(history, "en", NAMES).told[1].reminders_label == "3 reminders"


def test_a_person_s_reason_ends_the_sentence_and_the_service_s_is_left_to_the_record():
    ended = entry("ProjectTerminated", {}, OFFICER, reason="the partner left")
    assert said([ended], "en") == [
        "Project ended by Élise Martin (DERCI officer): the partner left"
    ]
    auto = entry(
        "ProjectClosed",
        {"final_report_due_at": "2032-03-31T00:00:00Z"},
        reason="IRP term 1 ended without a granted renewal",
    )
    assert said([auto], "en") == [
        "Project closed automatically; the final report is due on 31 Mar 2032"
    ]


def test_a_successor_is_a_link():
    told = tell([sample("SuccessorLinked")], "fr", NAMES).told[0]
    assert told.text == "Suivi par le projet IRP"
    assert told.link == ("/ui/projects/IRP-2031-0007", "IRP-2031-0007")


def test_someone_the_directory_does_not_know_is_said_by_id():
    e = entry("ReportAccepted", {"report_id": "term1-year1"}, ("ghost-1", "institute_officer"))
    assert said([e], "en") == ["Report term1-year1 accepted by ghost-1 (institute officer)"]


def test_overdue_reminders_fold_under_the_withheld_tranche_they_chase():
    overdue = [
        entry(
            "ReminderSent",
            {
                "kind": "report_overdue",
                "key": f"overdue:term1-year1:{k}",
                "due_at": "2028-05-26T00:00:00Z",
                "recipients": ["pi-durand"],
                "subject": "s",
            },
            at=datetime(2028, 5, 26, tzinfo=UTC) + timedelta(days=30 * k),
        )
        for k in range(3)
    ]
    withheld = entry(
        "TrancheWithheld", SAMPLES["TrancheWithheld"][0], at=datetime(2028, 5, 26, tzinfo=UTC)
    )
    history = [sample("ApplicationSubmitted"), sample("TermStarted"), withheld, *overdue]
    story = tell(history, "en", NAMES)
    assert [x.type for x in story.told] == [
        "TrancheWithheld",
        "TermStarted",
        "ApplicationSubmitted",
    ]
    assert story.told[0].reminders_label == "3 reminders"
    assert [r.on for r in story.told[0].reminders] == ["25 Jul 2028", "25 Jun 2028", "26 May 2028"]
