"""What the project page says about the steps of its viewer: the forms of the steps that
can succeed now, the steps of their role and phase that a rule holds back (with the rule's
reason, in the page's language for the common ones, the domain's own words otherwise), and
the hints a form shows beside its fields (the amounts the project's policy allows)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.language import in_language
from application.reads import ProjectView
from domain.actors import Actor
from domain.application import Reviewer
from domain.calendar import add_months
from domain.open_steps import ClosedStep, OpenStep, assignable, closed_steps
from domain.policy import Policy
from domain.state import ProjectState, policy_of
from web.forms import DANGER, ISO_DAY_PATTERN
from web.i18n import translator

ASSIGN = "AssignReviewer"
NO_REVIEWER_LEFT = "reviewer.none_left"  # not a domain rule: the directory has nobody left

Say = Callable[[str], str]


@dataclass(frozen=True)
class Reason:
    text: str
    lang: str  # the language the text is in: the domain's words are English


@dataclass(frozen=True)
class Held:
    """A step, or the "yes" of an offered step (`verdict`), that a rule holds back now."""

    command: str
    report_id: str | None
    verdict: str | None
    reason: Reason


@dataclass(frozen=True)
class Offers:
    offered: list[OpenStep]
    held: list[Held]  # whole steps not possible now
    notes: dict[str, list[Reason]]  # an offered step's held "yes", by command
    hints: dict[str, dict[str, str]]  # by command, by field


def _eur(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u00a0")


def reason_for(
    closed: ClosedStep, state: ProjectState, policy: Policy, now: datetime, t: Say, lang: str
) -> Reason:
    """A short reason in the page's language for the common refusals; the domain's own
    words (English) for the others."""
    rule = closed.rule
    if rule == "evaluation.reviews":
        needed = max(policy.min_reviews_to_approve - len(state.reviews), 1)
        key = "reason.reviews_one" if needed == 1 else "reason.reviews_many"
        return Reason(t(key).format(n=needed, done=len(state.reviews)), lang)
    if rule == NO_REVIEWER_LEFT:
        return Reason(t("reason.no_reviewer"), lang)
    if rule == "report.too_early":
        report = next((r for r in state.reports if r.report_id == closed.report_id), None)
        if report is not None:
            day = report.opens_at.date().isoformat()
            return Reason(
                t("reason.report_too_early").format(report=report.report_id, day=day), lang
            )
    if rule == "renewal.window" and state.term is not None:
        opens = add_months(state.term.ends_at, -policy.renewal_window_months_before_end)
        if now < opens:
            return Reason(t("reason.renewal_not_open").format(day=opens.date().isoformat()), lang)
        ended = state.term.ends_at.date().isoformat()
        return Reason(t("reason.renewal_closed").format(day=ended), lang)
    simple = {
        "report.not_submitted": "reason.report_not_submitted",
        "renewal.not_requested": "reason.renewal_not_requested",
        "suspension.none": "reason.not_suspended",
        "project.suspended": "reason.suspended",
        "evaluation.deadline": "reason.evaluation_deadline",
    }
    if rule in simple:
        return Reason(t(simple[rule]), lang)
    # the domain's own words, in the page's language where the catalogue has them
    said = in_language(closed.message, lang)
    return Reason(said, lang if said != closed.message or lang == "en" else "en")


def _hints(
    offered: list[OpenStep], state: ProjectState, policy: Policy, t: Say
) -> dict[str, dict[str, str]]:
    """The amounts each offered form accepts: the policy's range for the instrument, and
    no more than what was requested where an award may not exceed it."""
    funding = policy.funding_for(state.instrument.code)
    low, high = funding.funding_min_eur, funding.funding_max_eur
    asked: dict[str, int | None] = {"RequestRenewal": None, "AmendBudget": None}
    if state.application is not None:
        asked["DecideApplication"] = state.application.requested_eur
    if state.renewal is not None:
        asked["DecideRenewal"] = state.renewal.requested_eur
    field = {"RequestRenewal": "requested_eur"}
    hints: dict[str, dict[str, str]] = {}
    for step in offered:
        if step.command not in asked:
            continue
        requested = asked[step.command]
        if requested is not None and not policy.award_may_exceed_request and requested < high:
            text = t("hint.amount_capped").format(
                low=_eur(low), high=_eur(max(requested, low)), requested=_eur(requested)
            )
        else:
            text = t("hint.amount").format(low=_eur(low), high=_eur(high))
        hints[step.command] = {field.get(step.command, "awarded_eur"): text}
    return hints


def step_offers(
    state: ProjectState,
    steps: list[OpenStep],
    reviewers_left: int,
    actor: Actor,
    now: datetime,
    t: Say,
    lang: str,
) -> Offers:
    """`steps`: the steps the decider accepts now (domain.open_steps); `reviewers_left`:
    how many reviewers the directory still has to assign."""
    policy = policy_of(state)
    closed = closed_steps(state, actor, now, policy)
    offered = list(steps)
    if reviewers_left == 0 and any(s.command == ASSIGN for s in offered):
        offered = [s for s in offered if s.command != ASSIGN]
        closed.insert(0, ClosedStep(command=ASSIGN, rule=NO_REVIEWER_LEFT, message=""))
    held: list[Held] = []
    notes: dict[str, list[Reason]] = {}
    for c in closed:
        reason = reason_for(c, state, policy, now, t, lang)
        if c.verdict is not None:
            notes.setdefault(c.command, []).append(reason)
        else:
            held.append(Held(c.command, c.report_id, None, reason))
    return Offers(offered, held, notes, _hints(offered, state, policy, t))


def page_offers(view: ProjectView, actor: Actor, lang: str) -> dict[str, Any]:
    """The project page's context for its steps; its `steps_key` (what a polled page
    compares to re-render its forms) also changes when a held step's reason does."""
    now = datetime.now(UTC)
    policy = policy_of(view.state)
    # of the directory's reviewers not yet assigned, those the decider accepts (no conflict)
    candidates = {p.person_id: p for p in view.reviewers}
    accepted = assignable(
        view.state,
        actor,
        now,
        policy,
        [
            Reviewer(id=p.person_id, name=p.name, lab=p.lab, country=p.country)
            for p in view.reviewers
        ],
    )
    reviewers = [candidates[r.id] for r in accepted]
    offers = step_offers(view.state, view.steps, len(reviewers), actor, now, translator(lang), lang)
    held = [(h.command, h.report_id, h.reason.text) for h in offers.held]
    notes = sorted((k, [r.text for r in v]) for k, v in offers.notes.items())
    chosen = [p.person_id for p in reviewers]
    key = hashlib.sha256(repr((view.steps_key, held, notes, chosen)).encode()).hexdigest()[:12]
    return {
        "offers": offers,
        "reviewers": reviewers,
        "steps_key": key,
        "danger": sorted(DANGER),
        "today": now.date().isoformat(),
        "iso_day_pattern": ISO_DAY_PATTERN,
    }
