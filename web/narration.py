"""A project's history told as sentences, in the reader's language (en, fr).

Pure: no I/O. It is given the history as the reader may see it (readmodels.history_views
has already hidden what their role may not read) and the names of the people the
directory knows (`names`: person id -> name); every other name comes from the record
itself (the coordinator in the application, reviewers in their assignment).

One function per event type (SENTENCES), each saying its event in both languages with its
facts: people by name and role in words, dates and amounts as each language writes them.
What a sentence needs from earlier events (a tranche's due date, a report's deadline, the
term's end, when a tranche was withheld) is gathered by walking the history oldest first.

Reminders (ReminderSent) are not one line each: they are folded under the step they
remind of (the review, the report, the withheld tranche, the renewal request), or, when
that step has not happened, gathered in one line of their own."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from application.language import in_language, read_back
from readmodels.queries import HistoryEntry

LANGS = ("en", "fr")
FINAL_REPORT = "final"  # domain.state.FINAL_REPORT_ID

_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
NBSP = "\u00a0"  # French: before ":" and ";", inside « »
NNBSP = "\u202f"  # French: between thousands

_ROLES = {
    "en": {
        "coordinator": "coordinator",
        "reviewer": "reviewer",
        "institute_officer": "institute officer",
        "derci_officer": "DERCI officer",
        "auditor": "auditor",
        "data_protection_officer": "data protection officer",
        "system": "the service",
    },
    "fr": {
        "coordinator": "coordinateur·rice",
        "reviewer": "évaluateur·rice",
        "institute_officer": "chargé·e de mission d'institut",
        "derci_officer": "chargé·e de mission DERCI",
        "auditor": "auditeur·rice",
        "data_protection_officer": "délégué·e à la protection des données",
        "system": "le service",
    },
}

_RECOMMENDATIONS = {
    "en": {
        "fund": "fund",
        "fund_with_changes": "fund with changes",
        "do_not_fund": "do not fund",
    },
    "fr": {
        "fund": "financer",
        "fund_with_changes": "financer avec des modifications",
        "do_not_fund": "ne pas financer",
    },
}

_AMENDMENTS = {
    "en": {
        "budget": "a change of budget",
        "add-lab": "a partner lab added",
        "remove-lab": "a partner lab removed",
        "coordinator": "a change of coordinator",
        "location": "a change of location",
        "extend": "an extension of the term",
        "suspend": "a suspension",
        "resume": "a resumption",
    },
    "fr": {
        "budget": "une modification du budget",
        "add-lab": "l'ajout d'un laboratoire partenaire",
        "remove-lab": "le retrait d'un laboratoire partenaire",
        "coordinator": "un changement de coordination",
        "location": "un changement d'implantation",
        "extend": "une prolongation de la période",
        "suspend": "une suspension",
        "resume": "une reprise",
    },
}

_ALIAS = re.compile(r"^reviewer (\d+)$")  # an anonymised reviewer (history_views)


# --- how each language writes a date, an amount, a count ---------------------------------


def as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def day(value: Any, lang: str) -> str:
    """2 Jan 2027 / 2 janvier 2027 (1er janvier 2027)."""
    d = as_date(value)
    if d is None:
        return ""
    if lang == "fr":
        first = "1er" if d.day == 1 else str(d.day)
        return f"{first} {_MONTHS_FR[d.month - 1]} {d.year}"
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def number(value: Any, lang: str) -> str:
    """12,000 / 12 000 (a narrow no-break space)."""
    text = f"{int(value):,}"
    return text.replace(",", NNBSP) if lang == "fr" else text


def eur(value: Any, lang: str) -> str:
    return f"{number(value, lang)} EUR"


def count(n: int, lang: str, en: str, fr: str) -> str:
    """'1 day' / '12 days'; French keeps 0 and 1 singular. `en`/`fr`: 'day|days'."""
    one, many = (fr if lang == "fr" else en).split("|")
    singular = n in (0, 1) if lang == "fr" else n == 1
    return f"{n} {one if singular else many}"


def days_between(later: Any, earlier: Any) -> int:
    a, b = as_date(later), as_date(earlier)
    return (a - b).days if a and b else 0


def fr_typography(text: str) -> str:
    """A no-break space before French high punctuation (: ; ? !) written with a space."""
    text = re.sub(r" ([:;?!»])", NBSP + r"\1", text)
    return text.replace("« ", "«" + NBSP)


# --- what a sentence needs from earlier events ----------------------------------------------


@dataclass
class Known:
    """What the history has said so far, as it is walked oldest first."""

    names: Mapping[str, str]
    reviewers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tranches: dict[tuple[int, int], Any] = field(default_factory=dict)  # due date
    tranche_count: dict[int, int] = field(default_factory=dict)
    withheld: dict[tuple[int, int], Any] = field(default_factory=dict)  # withheld on
    report_due: dict[str, Any] = field(default_factory=dict)
    term_ends: dict[int, Any] = field(default_factory=dict)
    coordinator: dict[str, Any] | None = None

    def learn(self, e: HistoryEntry) -> None:
        d = e.data
        if e.type in ("ApplicationSubmitted", "ProjectImported"):
            self.coordinator = d["application"]["coordinator"]
        if e.type in ("TermStarted", "ProjectImported"):
            self._plan(d["term_number"], d["tranches"])
            self.term_ends[d["term_number"]] = d["ends_at"]
            for r in d["reports"]:
                self.report_due[r["report_id"]] = r["due_at"]
        elif e.type == "BudgetAmended":
            self._plan(d["term_number"], d["tranches"], keep=True)
        elif e.type == "TermExtended":
            self.term_ends[d["term_number"]] = d["ends_at"]
        elif e.type == "ProjectClosed":
            self.report_due[FINAL_REPORT] = d["final_report_due_at"]
        elif e.type == "ReviewerAssigned":
            self.reviewers[d["reviewer"]["id"]] = d["reviewer"]
        elif e.type == "CoordinatorReplaced":
            self.coordinator = d["coordinator"]
        elif e.type == "TrancheWithheld":
            self.withheld[(d["term_number"], d["year"])] = e.occurred_at

    def _plan(self, term: int, tranches: list[dict[str, Any]], keep: bool = False) -> None:
        for t in tranches:
            self.tranches[(term, t["year"])] = t["due_at"]
        if not keep:
            self.tranche_count[term] = len(tranches)

    def latest_term(self) -> int | None:
        return max(self.term_ends, default=None)


@dataclass(frozen=True)
class Said:
    """An event in words: the sentence, and what it lists beside it."""

    text: str
    details: tuple[str, ...] = ()
    link: tuple[str, str] | None = None  # (address, text) said right after the sentence
    reason_said: bool = False  # the sentence ends with the envelope's reason


class Telling:
    """The helpers a sentence function uses, in one language."""

    def __init__(self, lang: str, known: Known) -> None:
        self.lang = lang
        self.known = known

    def w(self, en: str, fr: str, **facts: Any) -> str:
        """The sentence in this language, its facts put in."""
        if self.lang == "fr":
            return fr_typography(fr.format(**facts))
        return en.format(**facts)

    def day(self, value: Any) -> str:
        return day(value, self.lang)

    def eur(self, value: Any) -> str:
        return eur(value, self.lang)

    def count(self, n: int, en: str, fr: str) -> str:
        return count(n, self.lang, en, fr)

    def person(self, person_id: str, role: str | None = None) -> str:
        """A person by name (the record's, then the directory's), their id otherwise."""
        alias = _ALIAS.match(person_id)
        if alias:
            return self.w("Reviewer {n}", "Évaluateur·rice {n}", n=alias.group(1))
        if person_id in self.known.reviewers:
            return str(self.known.reviewers[person_id]["name"])
        c = self.known.coordinator
        if c and c.get("id") == person_id:
            return str(c["name"])
        return self.known.names.get(person_id, person_id)

    def role(self, role: str) -> str:
        return _ROLES[self.lang].get(role, role)

    def by(self, actor: Any) -> str:
        """'by Élise Martin (DERCI officer)' / 'par …'; 'automatically' for the service."""
        if actor.role == "system":
            return self.w("automatically", "automatiquement")
        name = self.person(actor.id)
        if _ALIAS.match(actor.id):
            return self.w("by {name}", "par {name}", name=name)
        return self.w(
            "by {name} ({role})", "par {name} ({role})", name=name, role=self.role(actor.role)
        )

    def reminder_recipients(self, ids: Iterable[str]) -> str:
        return ", ".join(self.person(i) for i in ids)

    def tranche(self, term: int, year: int) -> str:
        total = self.known.tranche_count.get(term)
        if total:
            return self.w("Tranche {y} of {n}", "Tranche {y} sur {n}", y=year, n=total)
        return self.w("Tranche {y}", "Tranche {y}", y=year)

    def late(self, days: int) -> str:
        return self.w(
            "{d} late", "avec {d} de retard", d=self.count(days, "day|days", "jour|jours")
        )


Sentence = Callable[[HistoryEntry, Telling], Said]


# --- one sentence per event type -----------------------------------------------------------


def _submitted(e: HistoryEntry, t: Telling) -> Said:
    app = e.data["application"]
    c = app["coordinator"]
    text = t.w(
        "Application submitted by {name} ({lab}): {inst} “{title}”, {eur} requested",
        "Demande déposée par {name} ({lab}) : {inst} « {title} », {eur} demandés",
        name=c["name"],
        lab=c["lab"],
        inst=app["instrument"],
        title=app["title"],
        eur=t.eur(app["requested_eur"]),
    )
    if e.data.get("call_id"):
        text += t.w(", call {call}", ", appel {call}", call=e.data["call_id"])
    if e.data.get("term_starts_at"):
        text += t.w(
            "; the term would start on {day}",
            " ; la période commencerait le {day}",
            day=t.day(e.data["term_starts_at"]),
        )
    return Said(text)


def _eligible(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Eligibility confirmed {by}; reviews are due by {day}",
            "Recevabilité confirmée {by} ; les évaluations sont attendues pour le {day}",
            by=t.by(e.actor),
            day=t.day(e.data["evaluation_deadline"]),
        )
    )


def _ineligible(e: HistoryEntry, t: Telling) -> Said:
    # the domain's findings, in the reader's language where the catalogue has them
    findings = tuple(in_language(f, t.lang) for f in e.data.get("findings", ()))
    return Said(
        t.w("Declared ineligible {by}", "Déclarée non recevable {by}", by=t.by(e.actor)), findings
    )


def _reviewer_assigned(e: HistoryEntry, t: Telling) -> Said:
    r = e.data["reviewer"]
    where = ", ".join(str(x) for x in (r.get("lab"), r.get("country")) if x)
    return Said(
        t.w(
            "{name}{where} assigned to review {by}",
            "{name}{where} désigné·e pour évaluer {by}",
            name=t.person(r["id"]) if _ALIAS.match(r["id"]) else r["name"],
            where=f" ({where})" if where else "",
            by=t.by(e.actor),
        )
    )


def _review(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    scores = ", ".join(f"{k} {v}/5" for k, v in d["scores"].items())
    rec = _RECOMMENDATIONS[t.lang].get(d["recommendation"], d["recommendation"])
    return Said(
        t.w(
            "Review by {name}: {rec} ({scores})",
            "Évaluation de {name} : {rec} ({scores})",
            name=t.person(d["reviewer_id"]),
            rec=rec,
            scores=scores,
        )
    )


def _reminder(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    kind, due = d["kind"], t.day(d["due_at"])
    subject = reminder_subject(d["key"])
    to = t.reminder_recipients(d.get("recipients", ()))
    about = {
        "review_due": ("review due on {due}", "évaluation attendue le {due}"),
        "report_due": ("report {report} due on {due}", "rapport {report} attendu le {due}"),
        "final_report_due": ("final report due on {due}", "rapport final attendu le {due}"),
        "report_overdue": (
            "report {report} overdue: the tranche due on {due} is withheld until it is accepted",
            "rapport {report} en retard : la tranche prévue le {due} est retenue "
            "jusqu'à son acceptation",
        ),
        "renewal_window": (
            "the term ends on {due}: request its renewal before then",
            "la période se termine le {due} : demander son renouvellement avant cette date",
        ),
        "term_ending": (
            "the term ends on {due} and will not be renewed",
            "la période se termine le {due} et ne sera pas renouvelée",
        ),
    }.get(kind, ("{due}", "{due}"))
    what = t.w(*about, due=due, report=subject[1])
    return Said(t.w("Reminder to {to}: {what}", "Rappel à {to} : {what}", to=to, what=what))


def _approved(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Approved {by}, {eur} from {day}",
            "Approuvé {by}, {eur} à partir du {day}",
            by=t.by(e.actor),
            eur=t.eur(e.data["awarded_eur"]),
            day=t.day(e.data["term_starts_at"]),
        )
    )


def _rejected(e: HistoryEntry, t: Telling) -> Said:
    return Said(t.w("Rejected {by}", "Rejeté {by}", by=t.by(e.actor)))


def _term_started(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    return Said(
        t.w(
            "Term {n} started: {start} to {end}, {eur} in {tranches}",
            "Période {n} commencée : du {start} au {end}, {eur} en {tranches}",
            n=d["term_number"],
            start=t.day(d["starts_at"]),
            end=t.day(d["ends_at"]),
            eur=t.eur(d["awarded_eur"]),
            tranches=t.count(len(d["tranches"]), "tranche|tranches", "tranche|tranches"),
        )
    )


def _released(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    key = (d["term_number"], d["year"])
    text = t.w(
        "{tranche} paid ({eur})",
        "{tranche} versée ({eur})",
        tranche=t.tranche(*key),
        eur=t.eur(d["amount_eur"]),
    )
    withheld = t.known.withheld.get(key)
    due = t.known.tranches.get(key)
    if withheld is not None:
        late = days_between(e.occurred_at, due) if due is not None else 0
        text += t.w(
            ", {late}: withheld on {withheld}",
            ", {late} : retenue le {withheld}",
            late=t.late(late) if late > 0 else t.w("late", "en retard"),
            withheld=t.day(withheld),
        )
    return Said(text)


def _withheld(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    key = (d["term_number"], d["year"])
    due = t.known.tranches.get(key, e.occurred_at)
    return Said(
        t.w(
            "{tranche} withheld ({eur}): report {report} not accepted by {day}",
            "{tranche} retenue ({eur}) : rapport {report} non accepté au {day}",
            tranche=t.tranche(*key),
            eur=t.eur(d["amount_eur"]),
            report=d["awaiting_report_id"],
            day=t.day(due),
        )
    )


def _forfeited(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    return Said(
        t.w(
            "{tranche} forfeited ({eur}): report {report} still not accepted when the term ended",
            "{tranche} perdue ({eur}) : rapport {report} toujours pas accepté à la fin "
            "de la période",
            tranche=t.tranche(d["term_number"], d["year"]),
            eur=t.eur(d["amount_eur"]),
            report=d["awaiting_report_id"],
        )
    )


def _report_submitted(e: HistoryEntry, t: Telling) -> Said:
    rid = e.data["report_id"]
    text = t.w(
        "{report} submitted {by}",
        "{report} déposé {by}",
        report=_report_name(rid, t),
        by=t.by(e.actor),
    )
    due = t.known.report_due.get(rid)
    late = days_between(e.occurred_at, due) if due is not None else 0
    if late > 0:
        text += t.w(
            ", {late} (due on {day})",
            ", {late} (attendu le {day})",
            late=t.late(late),
            day=t.day(due),
        )
    summary = e.data.get("summary")
    return Said(text, (summary,) if summary else ())


def _report_name(rid: str, t: Telling) -> str:
    if rid == FINAL_REPORT:
        return t.w("Final report", "Rapport final")
    return t.w("Report {r}", "Rapport {r}", r=rid)


def _report_accepted(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "{report} accepted {by}",
            "{report} accepté {by}",
            report=_report_name(e.data["report_id"], t),
            by=t.by(e.actor),
        )
    )


def _report_rejected(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "{report} not accepted {by}",
            "{report} refusé {by}",
            report=_report_name(e.data["report_id"], t),
            by=t.by(e.actor),
        )
    )


def _renewal_requested(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Renewal of term {n} requested {by}, {eur}",
            "Renouvellement de la période {n} demandé {by}, {eur}",
            n=e.data["term_number"],
            by=t.by(e.actor),
            eur=t.eur(e.data["requested_eur"]),
        )
    )


def _renewal_granted(e: HistoryEntry, t: Telling) -> Said:
    n = e.data["term_number"]
    ends = t.known.term_ends.get(n)
    text = t.w(
        "Renewal granted {by}, {eur} for term {next}",
        "Renouvellement accordé {by}, {eur} pour la période {next}",
        by=t.by(e.actor),
        eur=t.eur(e.data["awarded_eur"]),
        next=n + 1,
    )
    if ends is not None:
        text += t.w(" from {day}", " à partir du {day}", day=t.day(ends))
    return Said(text)


def _renewal_refused(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Renewal of term {n} refused {by}",
            "Renouvellement de la période {n} refusé {by}",
            n=e.data["term_number"],
            by=t.by(e.actor),
        )
    )


def _closed(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Project closed {by}; the final report is due on {day}",
            "Projet clos {by} ; le rapport final est attendu le {day}",
            by=t.by(e.actor),
            day=t.day(e.data["final_report_due_at"]),
        )
    )


def _terminated(e: HistoryEntry, t: Telling) -> Said:
    return Said(t.w("Project ended {by}", "Projet arrêté {by}", by=t.by(e.actor)))


def _successor(e: HistoryEntry, t: Telling) -> Said:
    pid = e.data["successor_project_id"]
    return Said(
        t.w(
            "Followed by the {inst} project",
            "Suivi par le projet {inst}",
            inst=e.data["successor_instrument"],
        ),
        link=(f"/ui/projects/{pid}", pid),
    )


def _budget(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    return Said(
        t.w(
            "Budget of term {n} changed {by} from {previous} to {eur}",
            "Budget de la période {n} modifié {by}, de {previous} à {eur}",
            n=d["term_number"],
            by=t.by(e.actor),
            previous=t.eur(d["previous_eur"]),
            eur=t.eur(d["awarded_eur"]),
        )
    )


def _lab(lab: dict[str, Any]) -> str:
    return f"{lab['name']} ({lab['country']})"


def _lab_added(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Partner lab {lab} added {by}",
            "Laboratoire partenaire {lab} ajouté {by}",
            lab=_lab(e.data["lab"]),
            by=t.by(e.actor),
        )
    )


def _lab_removed(e: HistoryEntry, t: Telling) -> Said:
    return Said(
        t.w(
            "Partner lab {lab} removed {by}",
            "Laboratoire partenaire {lab} retiré {by}",
            lab=_lab(e.data["lab"]),
            by=t.by(e.actor),
        )
    )


def _coordinator(e: HistoryEntry, t: Telling) -> Said:
    old, new = e.data["previous"], e.data["coordinator"]
    return Said(
        t.w(
            "Coordinator changed from {old} to {new} ({lab}) {by}",
            "Coordination transmise de {old} à {new} ({lab}) {by}",
            old=old["name"],
            new=new["name"],
            lab=new["lab"],
            by=t.by(e.actor),
        )
    )


def _location(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    if d.get("previous"):
        return Said(
            t.w(
                "Location changed from {old} to {new} {by}",
                "Implantation changée de {old} à {new} {by}",
                old=d["previous"],
                new=d["location"],
                by=t.by(e.actor),
            )
        )
    return Said(
        t.w(
            "Location set to {new} {by}",
            "Implantation fixée à {new} {by}",
            new=d["location"],
            by=t.by(e.actor),
        )
    )


def _extended(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    return Said(
        t.w(
            "Term {n} extended by {months} {by}: it ends on {end} instead of {old}",
            "Période {n} prolongée de {months} {by} : elle se termine le {end} au lieu du {old}",
            n=d["term_number"],
            months=t.count(d["months"], "month|months", "mois|mois"),
            by=t.by(e.actor),
            end=t.day(d["ends_at"]),
            old=t.day(d["previous_ends_at"]),
        )
    )


def _suspended(e: HistoryEntry, t: Telling) -> Said:
    return Said(t.w("Project suspended {by}", "Projet suspendu {by}", by=t.by(e.actor)))


def _resumed(e: HistoryEntry, t: Telling) -> Said:
    since = e.data["suspended_since"]
    return Said(
        t.w(
            "Project resumed {by}, suspended since {day} ({days})",
            "Projet repris {by}, suspendu depuis le {day} ({days})",
            by=t.by(e.actor),
            day=t.day(since),
            days=t.count(days_between(e.occurred_at, since), "day|days", "jour|jours"),
        )
    )


def _amendment_requested(e: HistoryEntry, t: Telling) -> Said:
    kind = e.data["amendment"]
    return Said(
        t.w(
            "Amendment requested {by}: {kind}",
            "Modification demandée {by} : {kind}",
            by=t.by(e.actor),
            kind=_AMENDMENTS[t.lang].get(kind, kind),
        ),
        (e.data["details"],) if e.data.get("details") else (),
    )


def _imported(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    past = d["past"]
    decider = past["decided_by"]
    paid = past["tranches_released"]
    text = t.w(
        "Imported {by} as it stood: term {n}, {start} to {end}, {eur}, "
        "{paid} of {total} tranches paid, {renewals}; decided by {decider} ({role})",
        "Importé {by} tel qu'il était : période {n}, du {start} au {end}, {eur}, "
        "{paid} tranche(s) versée(s) sur {total}, {renewals} ; décidé par {decider} ({role})",
        by=t.by(e.actor),
        n=d["term_number"],
        start=t.day(d["starts_at"]),
        end=t.day(d["ends_at"]),
        eur=t.eur(past["awarded_eur"]),
        paid=paid,
        total=len(d["tranches"]),
        renewals=t.count(past["renewals"], "renewal|renewals", "renouvellement|renouvellements"),
        decider=t.person(decider["id"]),
        role=t.role(decider["role"]),
    )
    src = d["source"]
    line = f", {t.w('line', 'ligne')} {src['line']}" if src.get("line") else ""
    details = [
        t.w(
            "From file SHA-256 {sha}…, entry {entry}{line}",
            "Du fichier SHA-256 {sha}…, entrée {entry}{line}",
            sha=src["file_sha256"][:12],
            entry=src["entry"],
            line=line,
        )
    ]
    if past.get("reason"):
        details.append(t.w("Decided: {r}", "Décision : {r}", r=past["reason"]))
    return Said(text, tuple(details))


def _contribution(e: HistoryEntry, t: Telling) -> Said:
    d = e.data
    amount = f"{number(d['amount'], t.lang)} {d['currency']}"
    text = t.w(
        "Co-funding for year {y} recorded {by}: {source} ({country}), {amount}",
        "Cofinancement de l'année {y} enregistré {by} : {source} ({country}), {amount}",
        y=d["year"],
        by=t.by(e.actor),
        source=d["source"],
        country=d["country"],
        amount=amount,
    )
    if d["currency"] != "EUR":
        rate = str(d["eur_rate"]).replace(".", ",") if t.lang == "fr" else str(d["eur_rate"])
        text += t.w(
            ", worth {eur} at {rate} on {day} ({src})",
            ", soit {eur} au taux de {rate} du {day} ({src})",
            eur=t.eur(d["eur_value"]),
            rate=rate,
            day=t.day(d["rate_date"]),
            src=d["rate_source"],
        )
    return Said(text)


SENTENCES: dict[str, Sentence] = {
    "ApplicationSubmitted": _submitted,
    "EligibilityConfirmed": _eligible,
    "ApplicationDeclaredIneligible": _ineligible,
    "ReviewerAssigned": _reviewer_assigned,
    "ReviewSubmitted": _review,
    "ReminderSent": _reminder,
    "ApplicationApproved": _approved,
    "ApplicationRejected": _rejected,
    "TermStarted": _term_started,
    "TrancheReleased": _released,
    "TrancheWithheld": _withheld,
    "TrancheForfeited": _forfeited,
    "ReportSubmitted": _report_submitted,
    "ReportAccepted": _report_accepted,
    "ReportRejected": _report_rejected,
    "RenewalRequested": _renewal_requested,
    "RenewalGranted": _renewal_granted,
    "RenewalRefused": _renewal_refused,
    "ProjectClosed": _closed,
    "ProjectTerminated": _terminated,
    "SuccessorLinked": _successor,
    "BudgetAmended": _budget,
    "PartnerLabAdded": _lab_added,
    "PartnerLabRemoved": _lab_removed,
    "CoordinatorReplaced": _coordinator,
    "LocationChanged": _location,
    "TermExtended": _extended,
    "ProjectSuspended": _suspended,
    "ProjectResumed": _resumed,
    "AmendmentRequested": _amendment_requested,
    "ProjectImported": _imported,
    "ContributionRecorded": _contribution,
}


# --- the whole history ---------------------------------------------------------------------


@dataclass
class Told:
    """One line of the history: an event said, or reminders gathered, with the reminders
    folded under it (newest first)."""

    when: datetime
    text: str
    entry: HistoryEntry | None = None  # None for reminders gathered on their own
    details: tuple[str, ...] = ()
    link: tuple[str, str] | None = None
    reminders: list[Told] = field(default_factory=list)
    reminders_label: str = ""
    on: str = ""  # `when`, as the reader's language writes a day
    # the envelope's reason when the sentence does not carry it (the service's own words,
    # in English): the record's line shows it
    record_reason: str | None = None

    @property
    def type(self) -> str:
        return self.entry.type if self.entry else "ReminderSent"


@dataclass
class Story:
    told: list[Told]  # newest first
    # what happened to each tranche and report, for the timeline: "tranche:T:Y", "report:ID"
    marks: dict[str, list[str]]
    lang: str = "en"

    def day(self, value: Any) -> str:
        return day(value, self.lang)

    def marks_of(self, kind: str, *key: object) -> list[str]:
        return self.marks.get(":".join(str(k) for k in (kind, *key)), [])


def reminder_subject(key: str) -> tuple[str, str]:
    """(what, which) a reminder's key is about: ("review", reviewer id), ("report", id),
    ("overdue", report id), ("renewal", "termN"), ("term-ending", "termN")."""
    what, _, rest = key.partition(":")
    which = rest.rpartition(":")[0] if ":" in rest else rest
    which = which.split("+ext")[0]
    return what, which


def _anchor(subject: tuple[str, str], e: HistoryEntry) -> bool:
    """Whether `e` is the step the reminders about `subject` remind of."""
    what, which = subject
    d = e.data
    if what == "review":
        return e.type == "ReviewSubmitted" and d.get("reviewer_id") == which
    if what == "report":
        return e.type == "ReportSubmitted" and d.get("report_id") == which
    if what == "overdue":
        return e.type == "TrancheWithheld" and d.get("awaiting_report_id") == which
    if what in ("renewal", "term-ending"):
        return e.type == "RenewalRequested" and f"term{d.get('term_number')}" == which
    return False


def _say(e: HistoryEntry, t: Telling) -> Said:
    sentence = SENTENCES.get(e.type)
    if sentence is None:  # a type this module does not know yet (a test says so)
        return Said(e.type)
    said = sentence(e, t)
    if not e.reason:
        return said
    if e.actor.role == "system":
        # the service's own words, recorded in English: the sentence says the same from
        # the facts, and the record's line keeps them
        return said
    if ":" in said.text or said.link:  # a sentence with its own details: the reason apart
        reason = t.w("Reason: {r}", "Motif : {r}", r=e.reason)
        return Said(said.text, (reason, *said.details), said.link)
    # the reason a person gave, as they wrote it, ends the sentence (one the service wrote
    # for them, such as a call round's placement, in the reader's language)
    reason = in_language(read_back(e.reason), t.lang)
    text = t.w("{s}: {r}", "{s} : {r}", s=said.text, r=reason)
    return Said(text, said.details, said.link, True)


def tell(events: list[HistoryEntry], lang: str, names: Mapping[str, str] | None = None) -> Story:
    """The history (oldest first, as recorded) told in `lang`, newest first."""
    lang = lang if lang in LANGS else "en"
    known = Known(names or {})
    t = Telling(lang, known)
    lines: list[Told] = []
    waiting: dict[tuple[str, str], list[Told]] = {}  # reminders whose step is still to come
    chasing: dict[tuple[str, str], Told] = {}
    marks: dict[str, list[str]] = {}
    for e in events:
        said = _say(e, t)
        told = Told(e.occurred_at, said.text, e, said.details, said.link, on=t.day(e.occurred_at))
        if e.reason and e.actor.role == "system":
            # the service's own words, recorded in English: in the reader's if known
            told.record_reason = in_language(read_back(e.reason), lang)
        if e.type == "ReminderSent":
            subject = reminder_subject(e.data["key"])
            if subject in chasing:  # a step already taken that they chase (a withheld tranche)
                chasing[subject].reminders.append(told)
            else:
                waiting.setdefault(subject, []).append(told)
        else:
            for subject in [s for s in waiting if _anchor(s, e)]:
                told.reminders.extend(waiting.pop(subject))
            if e.type == "TrancheWithheld":  # reminded of until its report is accepted
                chasing[("overdue", e.data["awaiting_report_id"])] = told
            lines.append(told)
            _mark(e, t, marks)
        known.learn(e)
    for group in waiting.values():  # reminded of a step not taken (yet): one line
        latest = group[-1]
        lines.append(Told(latest.when, latest.text, None, reminders=list(group), on=latest.on))
    lines.sort(key=lambda x: (x.when, x.entry.version if x.entry else 0))
    for line in lines:
        line.reminders.reverse()
        n = len(line.reminders)
        line.reminders_label = t.count(n, "reminder|reminders", "rappel|rappels") if n else ""
    return Story(list(reversed(lines)), marks, lang)


def _mark(e: HistoryEntry, t: Telling, marks: dict[str, list[str]]) -> None:
    """What the timeline says beside a tranche or a report, from this event."""
    d = e.data
    when = t.day(e.occurred_at)
    if e.type in ("TrancheWithheld", "TrancheReleased", "TrancheForfeited"):
        key = f"tranche:{d['term_number']}:{d['year']}"
        due = t.known.tranches.get((d["term_number"], d["year"]))
        late = days_between(e.occurred_at, due) if due is not None else 0
        said = {
            "TrancheWithheld": t.w("withheld on {d}", "retenue le {d}", d=when),
            "TrancheReleased": t.w("paid on {d}", "versée le {d}", d=when)
            + (f" ({t.late(late)})" if late > 0 else ""),
            "TrancheForfeited": t.w("forfeited on {d}", "perdue le {d}", d=when),
        }[e.type]
        marks.setdefault(key, []).append(said)
    elif e.type in ("ReportSubmitted", "ReportAccepted", "ReportRejected"):
        key = f"report:{d['report_id']}"
        due = t.known.report_due.get(d["report_id"])
        late = days_between(e.occurred_at, due) if due is not None else 0
        said = {
            "ReportSubmitted": t.w("submitted on {d}", "déposé le {d}", d=when)
            + (f" ({t.late(late)})" if late > 0 else ""),
            "ReportAccepted": t.w("accepted on {d}", "accepté le {d}", d=when),
            "ReportRejected": t.w("not accepted on {d}", "refusé le {d}", d=when),
        }[e.type]
        marks.setdefault(key, []).append(said)


def people_to_name(events: Iterable[HistoryEntry]) -> set[str]:
    """The people the history names by id only (actors, an import's decider): the names
    to look up in the directory. Reviewers and coordinators are named by the record."""
    named = {"system", "operator"}
    ids: set[str] = set()
    for e in events:
        if e.type == "ReviewerAssigned":
            named.add(e.data["reviewer"]["id"])
        if e.type == "ProjectImported":
            ids.add(e.data["past"]["decided_by"]["id"])
        ids.add(e.actor.id)
    return {i for i in ids - named if not _ALIAS.match(i)}
